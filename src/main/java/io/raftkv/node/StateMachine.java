package io.raftkv.node;

import io.raftkv.raft.SnapshotData;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The replicated state the {@link Applier} feeds committed entries to: the key-value store in
 * production, a register per key in the simulator.
 *
 * <p>Concurrency: called by one thread at a time (the apply thread, or the simulator's), except
 * {@link #appliedIndex()}, which any thread may read and which is published after the write it covers.
 *
 * @param <R> what applying a command yields, handed to the client that proposed it
 */
public interface StateMachine<R> {

    /** Applies the committed command at {@code index}; never null. */
    R apply(long index, byte[] command);

    /** A committed entry that is not a command (a leader's no-op, a membership change) takes {@code index}. */
    void skip(long index);

    long appliedIndex();

    /** Replaces the whole state with a snapshot {@link #writeSnapshot} wrote. */
    void restore(InputStream in) throws IOException;

    void writeSnapshot(OutputStream out) throws IOException;

    /**
     * The state as applied now, for a snapshot written later on another thread exactly as
     * {@link #writeSnapshot} would write it now. This default writes it now, into memory; the
     * key-value store instead keeps references to its immutable values (see {@code KvStateMachine#capture}).
     */
    default SnapshotData capture() throws IOException {
        SnapshotBuffer out = new SnapshotBuffer();
        writeSnapshot(out);
        return out.data();
    }
}
