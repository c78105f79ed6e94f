package io.raftkv.node;

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
}
