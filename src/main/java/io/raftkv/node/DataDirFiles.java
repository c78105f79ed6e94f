package io.raftkv.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Small files the node keeps in its data directory beside the Raft storage (cluster ID, identity marker). */
final class DataDirFiles {
    private DataDirFiles() {
    }

    /**
     * Writes {@code line} as the whole of {@code dir/name}: temp file, fsync, rename, fsync the
     * directory, so a crash leaves either no file (or the old one) or the whole new one.
     */
    static void writeAtomically(Path dir, String name, String line) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir);
    }

    /** Makes a file's creation, rename or deletion in {@code dir} durable. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the change itself is still atomic.
        }
    }
}
