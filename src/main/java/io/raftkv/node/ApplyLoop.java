package io.raftkv.node;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * Applies committed entries to the key-value state machine on its own thread, so a slow apply or a
 * snapshot never stalls the Raft loop. Completes the writes this node proposed, releases linearizable
 * reads once their index is applied, and snapshots the state every {@code snapshotEntries} entries.
 */
final class ApplyLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ApplyLoop.class);

    private sealed interface Task permits Apply, Restore, AwaitApplied, Stop {
    }

    private record Apply(List<Entry> entries) implements Task {
    }

    private record Restore(Snapshot snapshot) implements Task {
    }

    private record AwaitApplied(long index, CompletableFuture<Void> future) implements Task {
    }

    private record Stop() implements Task {
    }

    private record Waiter(long index, CompletableFuture<Void> future) {
    }

    /** Receives a snapshot of the state machine to save; compaction of the log is the Raft loop's job. */
    interface SnapshotSink {
        void snapshotTaken(Snapshot snapshot);
    }

    private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
    private final KvStateMachine sm;
    private final Proposals proposals;
    private final SnapshotSink snapshots;
    private final long snapshotEntries;
    private final NodeMetrics metrics;
    private final Consumer<Throwable> onFatal;
    private Membership membership;
    private long appliedTerm;
    private long lastSnapshotIndex;
    private volatile boolean running = true;

    ApplyLoop(KvStateMachine sm, Snapshot base, Proposals proposals, SnapshotSink snapshots, long snapshotEntries,
              NodeMetrics metrics, Consumer<Throwable> onFatal) {
        this.sm = sm;
        this.proposals = proposals;
        this.snapshots = snapshots;
        this.snapshotEntries = snapshotEntries;
        this.metrics = metrics;
        this.onFatal = onFatal;
        restoreNow(base);
    }

    void apply(List<Entry> entries) {
        queue.add(new Apply(entries));
    }

    void restore(Snapshot snapshot) {
        queue.add(new Restore(snapshot));
    }

    /** Completes {@code future} once everything up to {@code index} is applied. */
    void awaitApplied(long index, CompletableFuture<Void> future) {
        if (sm.appliedIndex() >= index) {
            future.complete(null);
        } else {
            queue.add(new AwaitApplied(index, future));
        }
    }

    void stop() {
        running = false;
        queue.add(new Stop());
    }

    long appliedIndex() {
        return sm.appliedIndex();
    }

    @Override
    public void run() {
        try {
            while (running) {
                Task t = queue.take();
                handle(t);
                Task more;
                while ((more = queue.poll()) != null) {
                    handle(more);
                }
                releaseWaiters();
                maybeSnapshot();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            log.error("the apply loop failed; this node stops serving", t);
            onFatal.accept(t);
        }
    }

    private void handle(Task t) {
        if (t instanceof Apply a) {
            for (Entry e : a.entries()) {
                applyOne(e);
            }
        } else if (t instanceof Restore r) {
            restoreNow(r.snapshot());
            proposals.coveredBySnapshot(r.snapshot().index());
        } else if (t instanceof AwaitApplied w) {
            waiters.add(new Waiter(w.index(), w.future()));
        }
    }

    private void applyOne(Entry e) {
        if (e.index() <= sm.appliedIndex()) {
            return; // already contained in a restored snapshot
        }
        WriteResult result = null;
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

    private void restoreNow(Snapshot s) {
        try {
            if (s.index() == 0 && s.data().length == 0) {
                // The bootstrap snapshot: membership only, over an empty state machine.
                membership = s.metadata().membership();
                return;
            }
            sm.restore(new ByteArrayInputStream(s.data()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restore the snapshot at index " + s.index(), e);
        }
        membership = s.metadata().membership();
        appliedTerm = s.term();
        lastSnapshotIndex = s.index();
    }

    private void releaseWaiters() {
        long applied = sm.appliedIndex();
        while (!waiters.isEmpty() && waiters.peek().index() <= applied) {
            waiters.poll().future().complete(null);
        }
    }

    private void maybeSnapshot() {
        long applied = sm.appliedIndex();
        if (applied - lastSnapshotIndex < snapshotEntries) {
            return;
        }
        try {
            SnapshotBuffer out = new SnapshotBuffer();
            sm.writeSnapshot(out);
            Snapshot snap = new Snapshot(new SnapshotMetadata(applied, appliedTerm, membership), out.toByteArray());
            lastSnapshotIndex = applied;
            snapshots.snapshotTaken(snap);
            metrics.snapshotTaken();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a snapshot", e);
        }
    }
}
