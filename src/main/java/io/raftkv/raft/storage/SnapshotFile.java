package io.raftkv.raft.storage;

import io.raftkv.raft.Membership;
import io.raftkv.raft.SnapshotMetadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Reads a snapshot file ({@link DurableSnapshotStore} gives the layout) without loading it: its
 * header, a check of both checksums in passes of {@link #PASS_BYTES}, and a stream of its data.
 */
final class SnapshotFile {
    static final int FIXED_HEADER_BYTES = 4 + 4 + 8 + 8 + 4;
    private static final int PASS_BYTES = 1 << 20;

    /** Where a verified file's data lies, and what it is a snapshot of. */
    record Layout(SnapshotMetadata metadata, long dataOffset, long dataLength) {
    }

    private SnapshotFile() {
    }

    static ByteBuffer header(SnapshotMetadata meta, long dataLength) {
        byte[] membership = meta.membership().encode();
        ByteBuffer b = ByteBuffer.allocate(FIXED_HEADER_BYTES + membership.length + 8 + 4);
        b.putInt(FileFormat.SNAPSHOT_MAGIC).putInt(FileFormat.VERSION).putLong(meta.index()).putLong(meta.term());
        b.putInt(membership.length).put(membership).putLong(dataLength);
        b.putInt(FileFormat.crc32c(b.array(), 0, b.position()));
        return b.flip();
    }

    /** Parses the header and checks the whole file against its checksums, reading it in passes. */
    static Layout verify(Path path, DiskFile f) throws IOException {
        long size = f.size();
        ByteBuffer fixed = FileFormat.readHeader(path, f, FIXED_HEADER_BYTES, FileFormat.SNAPSHOT_MAGIC, "snapshot");
        long index = fixed.getLong();
        long term = fixed.getLong();
        int membershipLength = fixed.getInt();
        if (membershipLength < 0 || membershipLength > size - FIXED_HEADER_BYTES - 12) {
            throw new CorruptStorageException(path, FIXED_HEADER_BYTES - 4,
                    "membership length " + membershipLength + " does not fit a file of " + size + " bytes");
        }
        int headerEnd = FIXED_HEADER_BYTES + membershipLength + 8;
        ByteBuffer head = ByteBuffer.allocate(headerEnd + 4);
        f.readFully(head, 0);
        if (head.getInt(headerEnd) != FileFormat.crc32c(head.array(), 0, headerEnd)) {
            throw new CorruptStorageException(path, headerEnd, "snapshot header checksum mismatch");
        }
        byte[] membership = new byte[membershipLength];
        head.position(FIXED_HEADER_BYTES).get(membership);
        long dataLength = head.getLong();
        long dataStart = headerEnd + 4L;
        if (dataLength != size - dataStart - 4) {
            throw new CorruptStorageException(path, size, "file has " + size + " bytes but the header says "
                    + (dataStart + dataLength + 4) + ": it is truncated or has trailing bytes");
        }
        try (DataStream data = new DataStream(path, f, dataStart, dataLength, false)) {
            data.transferTo(OutputStream.nullOutputStream());
        }
        Membership members;
        try {
            members = Membership.decode(membership);
        } catch (IllegalArgumentException e) {
            throw new CorruptStorageException(path, FIXED_HEADER_BYTES, "bad membership: " + e.getMessage());
        }
        return new Layout(new SnapshotMetadata(index, term, members), dataStart, dataLength);
    }

    /**
     * The data of a verified file, read in passes and checked against its checksum once more as it
     * is read: the stream fails before it gives out its last pass if the disk changed the bytes since.
     *
     * @param closeFile whether closing the stream closes {@code f}
     */
    static InputStream data(Path path, DiskFile f, Layout layout, boolean closeFile) {
        return new DataStream(path, f, layout.dataOffset(), layout.dataLength(), closeFile);
    }

    /** The data region, then a check of the checksum that follows it. */
    private static final class DataStream extends InputStream {
        private final Path path;
        private final DiskFile file;
        private final long start;
        private final long end;
        private final boolean closeFile;
        private final CRC32C crc = new CRC32C();
        private final ByteBuffer pass;
        private long position;
        private boolean checked;

        DataStream(Path path, DiskFile file, long start, long length, boolean closeFile) {
            this.path = path;
            this.file = file;
            this.start = start;
            this.end = start + length;
            this.closeFile = closeFile;
            this.position = start;
            this.pass = ByteBuffer.allocate((int) Math.max(1, Math.min(PASS_BYTES, length))).limit(0);
        }

        @Override
        public int read() throws IOException {
            if (!pass.hasRemaining() && !fill()) {
                return -1;
            }
            return pass.get() & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!pass.hasRemaining() && !fill()) {
                return -1;
            }
            int n = Math.min(len, pass.remaining());
            pass.get(b, off, n);
            return n;
        }

        /** The next pass; the checksum is checked as the last one is read, before any of it is given out. */
        private boolean fill() throws IOException {
            if (position == end) {
                checkSum(); // an empty region: nothing was read, but the checksum must still match
                return false;
            }
            pass.clear().limit((int) Math.min(pass.capacity(), end - position));
            file.readFully(pass, position);
            pass.flip();
            crc.update(pass.duplicate());
            position += pass.remaining();
            if (position == end) {
                checkSum();
            }
            return true;
        }

        private void checkSum() throws IOException {
            if (checked) {
                return;
            }
            ByteBuffer stored = ByteBuffer.allocate(4);
            file.readFully(stored, end);
            if (stored.getInt(0) != (int) crc.getValue()) {
                throw new CorruptStorageException(path, start, "snapshot data checksum mismatch");
            }
            checked = true;
        }

        @Override
        public void close() throws IOException {
            if (closeFile) {
                file.close();
            }
        }
    }
}
