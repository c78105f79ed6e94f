package io.raftkv.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Small files the node keeps in its data directory beside the Raft storage (cluster ID, identity marker). */
final class DataDirFiles {
    private DataDirFiles() {
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
