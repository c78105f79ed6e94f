package io.raftkv.node;

import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Precondition;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.AppendEntriesResponse;
import io.raftkv.raft.Entry;
import io.raftkv.raft.ForwardingLogStore;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.HeartbeatResponse;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotStore;
import io.raftkv.raft.RequestVote;
import io.raftkv.raft.RequestVoteResponse;
import io.raftkv.raft.Role;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import io.raftkv.raft.storage.StorageFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Raft loop and apply loop of a one-node cluster, without Spring or HTTP. */
class RaftLoopTest {
    private final AtomicBoolean diskFull = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private RaftLoop<WriteResult> loop;
    private ApplyLoop<WriteResult> apply;
    private StatusBoard board;
    private final KvStateMachine data = new KvStateMachine();
    /** Ticks the timer has offered the loop so far (the loop may drop some). */
    private final AtomicLong ticksOffered = new AtomicLong();
    private RaftStorage storage;
    private FailingLog log;

    /** A log whose appends fail, like a full disk, once {@link #diskFull} is set. */
    private final class FailingLog extends ForwardingLogStore {
        FailingLog() {
            super(new MemoryLogStore());
        }

        /** Pieces a compaction leaves to {@link #tidy}, as the segmented log leaves its older segments. */
        final AtomicInteger untidy = new AtomicInteger();
        final AtomicInteger compactions = new AtomicInteger();
        final List<Long> tidiedAtTick = new CopyOnWriteArrayList<>();

        @Override
        public void compact(long index) {
            super.compact(index);
            compactions.incrementAndGet();
            untidy.set(3);
        }

        @Override
        public boolean tidy() {
            tidiedAtTick.add(ticksOffered.get());
            assertThat(untidy.get()).as("tidied only while something is left").isPositive();
            return untidy.decrementAndGet() > 0;
        }

        @Override
        public void append(List<Entry> entries) {
            if (diskFull.get()) {
                throw new StorageFailedException("appending to the log", new IOException("No space left on device"));
            }
            super.append(entries);
        }
    }

    private void start() {
        start(List.of(new Peer("n1", "")), m -> { });
    }

    private void start(List<Peer> members, Outbox outbox) {
        start(members, outbox, new MemorySnapshotStore(), 1000, (store, ref) -> SnapshotSaver.inline(store));
    }

    private void start(List<Peer> members, Outbox outbox, SnapshotStore snapshots, long snapshotEvery,
                       BiFunction<SnapshotStore, RaftLoop<WriteResult>[], SnapshotSaver> saver) {
        log = new FailingLog();
        storage = new RaftStorage(log, new MemoryStableStore(), snapshots);
        storage.bootstrap(new Membership(members));
        RaftNode raft = new RaftNode(RaftConfig.defaults("n1"), storage, new Random(1));
        board = new StatusBoard(new NodeStatus("n1", Role.FOLLOWER, 0, null, false, 0, 0, 0, 1, 0, raft.membership(), null));
        Proposals<WriteResult> proposals = new Proposals<>(Clock.SYSTEM, Duration.ofSeconds(1), NodeMetrics.noop());
        @SuppressWarnings("unchecked")
        RaftLoop<WriteResult>[] ref = new RaftLoop[1];
        apply = new ApplyLoop<>(new DirectApplier<>(new KvApplied(data), storage.snapshots().latest(), proposals,
                s -> ref[0].submit(d -> d.snapshotTaken(s)), snapshotEvery, NodeMetrics.noop()),
                t -> ref[0].submit(d -> d.fail("apply failed", t)));
        NodeDriver<WriteResult> driver = new NodeDriver<>(raft, storage, outbox, apply, proposals, NodeMetrics.noop(),
                Clock.SYSTEM, 10, NodeDriver.Observer.NONE, saver.apply(snapshots, ref));
        loop = new RaftLoop<>(driver, board);
        ref[0] = loop;
        new Thread(apply, "apply").start();
        new Thread(loop, "raft").start();
        timer.scheduleAtFixedRate(() -> {
            ticksOffered.incrementAndGet();
            loop.tick();
        }, 0, 10, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void stop() {
        timer.shutdownNow();
        if (loop != null) {
            loop.stop();
            apply.stop();
        }
    }

    private CompletableFuture<WriteResult> propose(KvCommand c) {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        loop.submit(d -> d.propose(c.encode(), Backpressure.Ticket.NONE, f));
        return f;
    }

    private CompletableFuture<Void> readBarrier() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.submit(d -> d.read(f));
        return f;
    }

    private static KvCommand put(String key, String value) {
        return new KvCommand.Put(key, value.getBytes(), "text/plain", Precondition.NONE, null, 0);
    }

    private void awaitLeader() throws Exception {
        board.awaitLeader(Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(board.current().isLeader()).isTrue();
    }

    @Test
    void aOneNodeClusterCommitsAndAppliesWritesAndServesLinearizableReads() throws Exception {
        start();
        awaitLeader();
        WriteResult r = propose(put("k", "v")).get(5, TimeUnit.SECONDS);
        assertThat(r).isInstanceOf(WriteResult.Written.class);
        readBarrier().get(5, TimeUnit.SECONDS);
        assertThat(new String(data.get("k").orElseThrow().value())).isEqualTo("v");
    }

    @Test
    void aFailedWriteToStorageStopsTheNodeWithoutEverClaimingAPendingWriteFailed() throws Exception {
        start();
        awaitLeader();
        propose(put("before", "kept")).get(5, TimeUnit.SECONDS);
        diskFull.set(true);
        // The write was proposed: it might be on a majority already, so its outcome is unknown, not "failed".
        assertThatThrownBy(() -> propose(put("after", "lost")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!board.current().failed()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(board.current().failure()).contains("No space left on device");
        assertThat(board.current().ready()).isFalse();
        // A write arriving after the failure is never proposed: that one is safe to retry elsewhere.
        assertThatThrownBy(() -> propose(put("later", "x")).get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(NodeUnavailableException.class);
        assertThatThrownBy(() -> readBarrier().get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(NodeUnavailableException.class);
        assertThat(data.get("after")).as("nothing that failed to persist was applied").isEmpty();
        assertThat(data.get("before")).isPresent();
    }

    @Test
    void aStoppedLoopAnswersEveryClientTaskInsteadOfDroppingIt() throws Exception {
        start();
        awaitLeader();
        loop.stop();
        // Nothing of these was proposed: "unavailable" is the truth, and it comes at once, not at a timeout.
        assertThatThrownBy(() -> propose(put("late", "x")).get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(NodeUnavailableException.class).hasMessageContaining("shutting down");
        assertThatThrownBy(() -> readBarrier().get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(NodeUnavailableException.class);
    }

    @Test
    void requestsQueuedBehindAFailureInTheSameTurnAreAnsweredAtOnceNotDropped() throws Exception {
        start();
        awaitLeader();
        // Hold the loop so the failure and the requests behind it are taken in one turn, as under load.
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        loop.submit(d -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop.submit(d -> d.fail("saving a snapshot failed", new IOException("No space left on device")));
        CompletableFuture<WriteResult> write = propose(put("queued", "x"));
        CompletableFuture<Void> read = readBarrier();
        hold.countDown();
        // Never proposed, so "unavailable" is the truth, and it comes now rather than at the client's timeout.
        assertThatThrownBy(() -> write.get(1, TimeUnit.SECONDS)).hasCauseInstanceOf(NodeUnavailableException.class)
                .hasMessageContaining("No space left on device");
        assertThatThrownBy(() -> read.get(1, TimeUnit.SECONDS)).hasCauseInstanceOf(NodeUnavailableException.class);
        assertThat(data.get("queued")).isEmpty();
    }

    /**
     * Two followers that answer every message at once, through the loop, as the peer transport does:
     * votes granted, entries accepted, heartbeats acknowledged.
     */
    private void answerAsFollowers(Message m) {
        Message answer = null;
        if (m instanceof RequestVote v) {
            answer = new RequestVoteResponse(v.to(), v.from(), v.term(), true, v.preVote());
        } else if (m instanceof AppendEntries a) {
            answer = AppendEntriesResponse.accept(a.to(), a.from(), a.term(), a.prevLogIndex() + a.entries().size());
        } else if (m instanceof Heartbeat h) {
            answer = new HeartbeatResponse(h.to(), h.from(), h.term(), h.readRound());
        }
        if (answer != null) {
            Message a = answer;
            loop.submit(d -> d.step(a));
        }
    }

    @Test
    void aStallOfTheWholeClusterDoesNotDeposeAHealthyLeader() throws Exception {
        // Found by bin/raftkv-bench: all three nodes saved a snapshot and deleted log segments on their
        // Raft threads at the same index, and the leader stepped down. The ticker kept queueing ticks
        // behind the busy thread; once free, the leader ran them all before the followers' answers
        // (which their own stall had held back) and so ran CheckQuorum rounds in which nobody could
        // have answered. A stalled loop must come back with one tick, not a burst (dissertation §6.2:
        // the leader steps down when it has not heard from a majority within an election timeout, not
        // within a run of ticks that took no time).
        start(List.of(new Peer("n1", ""), new Peer("n2", ""), new Peer("n3", "")), this::answerAsFollowers);
        awaitLeader();
        propose(put("before", "x")).get(5, TimeUnit.SECONDS);
        long term = board.current().term();

        CountDownLatch hold = new CountDownLatch(1);
        loop.submit(d -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        // Hold the loop while the timer offers four election timeouts' worth of ticks (15 ticks each).
        long offered = ticksOffered.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ticksOffered.get() - offered < 4 * 15) {
            assertThat(System.nanoTime()).as("the timer keeps ticking").isLessThan(deadline);
            Thread.sleep(5);
        }
        hold.countDown();

        WriteResult after = propose(put("after", "y")).get(5, TimeUnit.SECONDS);
        assertThat(after).isInstanceOf(WriteResult.Written.class);
        assertThat(board.current().term()).as("no election after the stall").isEqualTo(term);
        assertThat(board.current().isLeader()).isTrue();
    }

    /** A snapshot store whose own saves wait at a gate, like a slow disk writing tens of megabytes. */
    private static final class GatedSnapshotStore implements SnapshotStore {
        final MemorySnapshotStore inner = new MemorySnapshotStore();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);

        public Snapshot latest() { return inner.latest(); }
        public void save(Snapshot snapshot) { inner.save(snapshot); }

        public boolean saveTaken(Snapshot snapshot) {
            entered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.saveTaken(snapshot);
        }
    }

    @Test
    void writesGoOnWhileASnapshotIsSavedAndTheLogIsCompactedOnlyOnceItIsSavedAndSnapshotsTakenMeanwhileAreLetGo() throws Exception {
        // Saving a snapshot used to run on the Raft thread; with tens of megabytes to write and sync,
        // every node stalled at once (they snapshot at the same index).
        GatedSnapshotStore snapshots = new GatedSnapshotStore();
        BackgroundSnapshotSaver[] saver = new BackgroundSnapshotSaver[1];
        start(List.of(new Peer("n1", "")), m -> { }, snapshots, 20,
                (store, ref) -> saver[0] = new BackgroundSnapshotSaver(store, t -> ref[0].submit(d -> t.run()), NodeMetrics.noop()));
        try {
            awaitLeader();
            for (int i = 0; i < 25; i++) {
                propose(put("k" + i, "v")).get(5, TimeUnit.SECONDS);
            }
            assertThat(snapshots.entered.await(5, TimeUnit.SECONDS)).as("a snapshot is being saved").isTrue();

            for (int i = 25; i < 75; i++) {
                assertThat(propose(put("k" + i, "v")).get(5, TimeUnit.SECONDS)).isInstanceOf(WriteResult.Written.class);
            }
            readBarrier().get(5, TimeUnit.SECONDS);
            assertThat(board.current().firstIndex()).as("nothing compacted before the snapshot is saved").isEqualTo(1);
            assertThat(snapshots.latest().index()).isZero();

            snapshots.gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (board.current().firstIndex() == 1) {
                assertThat(System.nanoTime()).as("the log is compacted once the snapshot is saved").isLessThan(deadline);
                Thread.sleep(5);
            }
            long saved = snapshots.latest().index();
            assertThat(saved).as("the snapshots taken while it was saved were let go, not queued").isBetween(20L, 39L);
            assertThat(board.current().firstIndex() - 1).as("compacted behind the saved snapshot, keeping 10 entries")
                    .isLessThanOrEqualTo(saved - 10).isGreaterThan(0);

            for (int i = 75; i < 100; i++) {
                propose(put("k" + i, "v")).get(5, TimeUnit.SECONDS);
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (snapshots.latest().index() < 80) {
                assertThat(System.nanoTime()).as("the next snapshot is saved").isLessThan(deadline);
                Thread.sleep(5);
            }
        } finally {
            snapshots.gate.countDown();
            saver[0].close();
        }
    }

    @Test
    void whatACompactionLeftOnDiskIsDeletedAPieceATickNotAllAtOnce() throws Exception {
        // Found by bin/raftkv-snapshot-bench: deleting all the 64 MB segments of 64 KiB values in the compaction held
        // every node's Raft thread for 0.4 s at once, close to an election timeout.
        start(List.of(new Peer("n1", "")), m -> { }, new MemorySnapshotStore(), 20, (store, ref) -> SnapshotSaver.inline(store));
        awaitLeader();
        for (int i = 0; i < 25; i++) {
            propose(put("k" + i, "v")).get(5, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (log.tidiedAtTick.size() < 3) {
            assertThat(System.nanoTime()).as("the pieces are deleted on the following ticks").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(log.compactions.get()).isEqualTo(1);
        long tick = ticksOffered.get();
        while (ticksOffered.get() < tick + 5) {
            Thread.sleep(5);
        }
        assertThat(log.tidiedAtTick).as("no more once nothing is left").hasSize(3);
        assertThat(log.tidiedAtTick.get(2)).as("over several ticks").isGreaterThan(log.tidiedAtTick.get(0));
    }
}
