package io.raftkv.node;

import io.raftkv.raft.Entry;
import io.raftkv.raft.Snapshot;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the driver hands committed work, in order. {@link DirectApplier} does it at once, on the
 * caller's thread; {@link ApplyLoop} queues it for the apply thread; the simulator queues it for a
 * simulated delay. Every implementation keeps the order of calls.
 *
 * <p>Concurrency: the mutating calls come from the driver's thread only; {@link #appliedIndex()} may
 * be read from any thread.
 */
public interface Applier {

    /** Committed, persisted entries to apply after everything handed over before. */
    void apply(List<Entry> entries);

    /** A snapshot from the leader replaces the state; it was persisted first. */
    void restore(Snapshot snapshot);

    /** Completes {@code future} once everything up to {@code index} is applied (at once if it is now). */
    void whenApplied(long index, CompletableFuture<Void> future);

    long appliedIndex();
}
