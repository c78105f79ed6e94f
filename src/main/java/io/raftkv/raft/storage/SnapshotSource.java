package io.raftkv.raft.storage;

import io.raftkv.raft.SnapshotMetadata;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A snapshot file opened for streaming to a follower, chunk by chunk (InstallSnapshot). */
public final class SnapshotSource implements Closeable {
    private final Path path;
    private final DiskFile file;
    private final SnapshotMetadata metadata;
    private final long size;

    SnapshotSource(Path path, DiskFile file, SnapshotMetadata metadata, long size) {
        this.path = path;
        this.file = file;
        this.metadata = metadata;
        this.size = size;
    }

    public SnapshotMetadata metadata() {
        return metadata;
    }

    /** Size of the whole file, which is what the chunks add up to. */
    public long size() {
        return size;
    }

    /** Up to {@code maxBytes} of the file from {@code offset}. */
    public SnapshotChunk read(long offset, int maxBytes) throws IOException {
        if (offset < 0 || offset > size || maxBytes <= 0) {
            throw new IllegalArgumentException("chunk at " + offset + " of " + maxBytes + " bytes; file " + path + " has " + size);
        }
        int n = (int) Math.min(maxBytes, size - offset);
        ByteBuffer buf = ByteBuffer.allocate(n);
        file.readFully(buf, offset);
        return new SnapshotChunk(offset, buf.array(), offset + n == size);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
