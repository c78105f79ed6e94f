package io.raftkv.raft;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.util.Collections;
import java.util.List;

/**
 * A snapshot's bytes, wherever they are: in memory (the simulator, a snapshot just taken) or in the
 * snapshot file a node keeps on disk. Nodes only ever stream them ({@link #open}), so a snapshot on
 * disk is not also held on the heap beside the state it was taken of. Implementations are
 * immutable; {@link #open} and {@link #writeTo} may be called from any thread, any number of times.
 */
public interface SnapshotData {

    /** How many bytes {@link #open} gives. */
    long size();

    /** The bytes from the start; the caller closes the stream. */
    InputStream open() throws IOException;

    /**
     * Writes the bytes to {@code out}. Data made as it is written (a state machine's captured state)
     * streams straight to {@code out} here, where {@link #size} and {@link #open} would first have to
     * make all of it in memory.
     */
    default void writeTo(OutputStream out) throws IOException {
        try (InputStream in = open()) {
            in.transferTo(out);
        }
    }

    static SnapshotData of(byte[] bytes) {
        return new Chunks(List.of(bytes), bytes.length);
    }

    /** The concatenation of {@code chunks}, which the caller no longer changes. */
    static SnapshotData ofChunks(List<byte[]> chunks) {
        long size = 0;
        for (byte[] c : chunks) {
            size += c.length;
        }
        return new Chunks(List.copyOf(chunks), size);
    }

    /** Bytes in memory, as one or more arrays. */
    record Chunks(List<byte[]> chunks, long size) implements SnapshotData {
        @Override
        public InputStream open() {
            return new SequenceInputStream(Collections.enumeration(chunks.stream().map(ByteArrayInputStream::new).toList()));
        }
    }
}
