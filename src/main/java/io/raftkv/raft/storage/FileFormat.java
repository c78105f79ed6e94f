package io.raftkv.raft.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * What every file in the data directory has in common: a 4-byte magic naming its kind, then a
 * format version, so a later release can tell old files from new and an old release refuses files
 * it cannot read instead of misreading them. Also the one atomic-replace routine they share.
 */
final class FileFormat {
    /** The only on-disk format this release writes and reads, for every kind of file. */
    static final int VERSION = 1;

    static final int LOG_MAGIC = 0x524B564C;       // "RKVL"
    static final int HARD_STATE_MAGIC = 0x524B5648; // "RKVH"
    static final int SNAPSHOT_MAGIC = 0x524B5653;   // "RKVS"
    static final int CONTACTS_MAGIC = 0x524B5643;   // "RKVC"

    static final String TMP_SUFFIX = ".tmp";

    private FileFormat() {
    }

    static int crc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    static int crc32c(ByteBuffer buf, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().limit(to).position(from));
        return (int) crc.getValue();
    }

    /**
     * Checks magic and version at the buffer's position (which it advances by 8).
     * The version is checked before any checksum on purpose: a newer release may lay the rest of
     * the header out differently, and "written by a newer version" is the message the operator needs.
     */
    static void checkMagicAndVersion(Path file, ByteBuffer buf, int magic, String kind) {
        int start = buf.position();
        if (buf.remaining() < 8) {
            throw new CorruptStorageException(file, start, kind + " header is incomplete (" + buf.remaining() + " bytes)");
        }
        int m = buf.getInt();
        if (m != magic) {
            throw new CorruptStorageException(file, start, String.format(
                    "not a raftkv %s: magic is 0x%08x, expected 0x%08x", kind, m, magic));
        }
        int v = buf.getInt();
        if (v != VERSION) {
            throw new CorruptStorageException(file, start + 4, "unsupported " + kind + " format version " + v
                    + "; this release reads version " + VERSION
                    + (v > VERSION ? " (the file was written by a newer release)" : ""));
        }
    }

    /**
     * Reads the first {@code headerBytes} of {@code f} and checks magic and version; the buffer is
     * left just after them.
     */
    static ByteBuffer readHeader(Path file, DiskFile f, int headerBytes, int magic, String kind) throws IOException {
        long size = f.size();
        ByteBuffer h = ByteBuffer.allocate((int) Math.min(size, headerBytes));
        f.readFully(h, 0);
        h.flip();
        checkMagicAndVersion(file, h, magic, kind);
        if (size < headerBytes) {
            throw new CorruptStorageException(file, 0, kind + " header is incomplete (" + size + " bytes)");
        }
        return h;
    }

    /**
     * Replaces {@code dir/name} with the given bytes so that after a crash at any point the old
     * file or the new one is there, whole: write a temporary file, fsync it, rename it over the
     * target (atomic on POSIX), then fsync the directory so the rename itself survives.
     */
    static void writeAtomically(Disk disk, Path dir, String name, ByteBuffer... parts) throws IOException {
        writeAtomically(disk, dir, name, f -> {
            long pos = 0;
            for (ByteBuffer part : parts) {
                int n = part.remaining();
                f.write(part, pos);
                pos += n;
            }
        });
    }

    /** What writes a new file's contents, for {@link #writeAtomically(Disk, Path, String, Contents)}. */
    interface Contents {
        void writeTo(DiskFile f) throws IOException;
    }

    /** The same steps, with the contents written by {@code contents} (for data streamed in passes). */
    static void writeAtomically(Disk disk, Path dir, String name, Contents contents) throws IOException {
        Path tmp = dir.resolve(name + TMP_SUFFIX);
        try (DiskFile f = disk.create(tmp)) {
            contents.writeTo(f);
            f.force();
        }
        disk.rename(tmp, dir.resolve(name));
        disk.syncDirectory(dir);
    }

    static byte[] readAll(DiskFile f) throws IOException {
        long size = f.size();
        if (size > Integer.MAX_VALUE - 16) {
            throw new IOException("file of " + size + " bytes is too large to load");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        f.readFully(buf, 0);
        return buf.array();
    }
}
