package io.raftkv.node;

import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * Applies committed entries to the {@link StateMachine} at once, on the caller's thread: answers the
 * writes this node proposed, releases reads whose index is applied, and snapshots the state every
 * {@code snapshotEntries} entries. The production node runs it on the apply thread inside
 * {@link ApplyLoop}; the simulator runs it directly.
 *
 * <p>Concurrency: one thread at a time; {@link #appliedIndex()} from any thread.
 */
public final class DirectApplier<R> implements Applier {

    /** Receives a snapshot of the state machine; saving it and compacting the log is the driver's job. */
    public interface SnapshotSink {
        void snapshotTaken(Snapshot snapshot);
    }

    private record Waiter(long index, CompletableFuture<Void> future) {
    }

    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
    private final StateMachine<R> sm;
    private final Proposals<R> proposals;
    private final SnapshotSink snapshots;
    private final long snapshotEntries;
    private final NodeMetrics metrics;
    private Membership membership;
    private long appliedTerm;
    private long lastSnapshotIndex;

    /**
     * @param base            the latest snapshot in storage, restored now
     * @param snapshotEntries applied entries between two snapshots of the state machine (0: never)
     */
    public DirectApplier(StateMachine<R> sm, Snapshot base, Proposals<R> proposals, SnapshotSink snapshots,
                         long snapshotEntries, NodeMetrics metrics) {
        this.sm = sm;
        this.proposals = proposals;
        this.snapshots = snapshots;
        this.snapshotEntries = snapshotEntries;
        this.metrics = metrics;
        restoreState(base);
    }

    @Override
    public void apply(List<Entry> entries) {
        applyQuietly(entries);
        settle();
    }

    @Override
    public void restore(Snapshot snapshot) {
        restoreQuietly(snapshot);
        settle();
    }

    @Override
    public void whenApplied(long index, CompletableFuture<Void> future) {
        if (sm.appliedIndex() >= index) {
            future.complete(null);
        } else {
            waiters.add(new Waiter(index, future));
        }
    }

    @Override
    public long appliedIndex() {
        return sm.appliedIndex();
    }

    /** Answers every read still waiting: this applier will apply nothing more. */
    public void failWaiters(RuntimeException cause) {
        for (Waiter w; (w = waiters.poll()) != null; ) {
            w.future().completeExceptionally(cause);
        }
    }

    /** Applies without releasing reads or snapshotting, for a caller that batches; call {@link #settle()} after. */
    void applyQuietly(List<Entry> entries) {
        for (Entry e : entries) {
            applyOne(e);
        }
    }

    void restoreQuietly(Snapshot snapshot) {
        restoreState(snapshot);
        proposals.coveredBySnapshot(snapshot.index());
    }

    /** Releases the reads that may now be served and takes a snapshot when one is due. */
    void settle() {
        long applied = sm.appliedIndex();
        while (!waiters.isEmpty() && waiters.peek().index() <= applied) {
            waiters.poll().future().complete(null);
        }
        maybeSnapshot();
    }

    private void applyOne(Entry e) {
        if (e.index() <= sm.appliedIndex()) {
            return; // already contained in a restored snapshot
        }
        R result = null;
        if (e.type() == EntryType.COMMAND) {
            result = sm.apply(e.index(), e.data());
        } else {
            if (e.type() == EntryType.MEMBERSHIP) {
                membership = Membership.decode(e.data());
            }
            sm.skip(e.index());
        }
        appliedTerm = e.term();
        proposals.applied(e.index(), e.term(), result);
    }

    private void restoreState(Snapshot s) {
        membership = s.metadata().membership();
        if (s.index() == 0 && s.content().size() == 0) {
            return; // the bootstrap snapshot: membership only, over an empty state machine
        }
        try (InputStream in = s.content().open()) {
            sm.restore(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restore the snapshot at index " + s.index(), e);
        }
        appliedTerm = s.term();
        lastSnapshotIndex = s.index();
    }

    /** The state as applied now, captured to be written later on any thread, and where it stands in the log. */
    Snapshot captureAppliedState() throws IOException {
        return new Snapshot(new SnapshotMetadata(sm.appliedIndex(), appliedTerm, membership), sm.capture());
    }

    private void maybeSnapshot() {
        long applied = sm.appliedIndex();
        if (snapshotEntries <= 0 || applied - lastSnapshotIndex < snapshotEntries) {
            return;
        }
        try {
            Snapshot snap = captureAppliedState();
            lastSnapshotIndex = applied;
            snapshots.snapshotTaken(snap);
            metrics.snapshotTaken();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a snapshot", e);
        }
    }
}
