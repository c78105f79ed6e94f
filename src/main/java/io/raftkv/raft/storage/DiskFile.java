package io.raftkv.raft.storage;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/** An open file on a {@link Disk}. Positional reads and writes only: the stores track offsets themselves. */
public interface DiskFile extends Closeable {

    long size() throws IOException;

    /** Reads into {@code dst} from {@code position}; returns the number of bytes read, or -1 at the end of the file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes all of {@code src} at {@code position}, growing the file if needed. Not durable until {@link #force()}. */
    void write(ByteBuffer src, long position) throws IOException;

    /** Cuts the file to {@code size} bytes. Not durable until {@link #force()}. */
    void truncate(long size) throws IOException;

    /** Makes everything written to this file (including its size) durable. */
    void force() throws IOException;

    /** Fills {@code dst} from {@code position}, or fails if the file ends first. */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = read(dst, position);
            if (n < 0) {
                throw new EOFException("file ends at " + position);
            }
            position += n;
        }
    }
}
