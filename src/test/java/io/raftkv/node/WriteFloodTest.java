package io.raftkv.node;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.Precondition;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real node (durable storage, Raft loop, apply loop) flooded with more writes than its bounds
 * admit, faster than it can commit them: every write is answered, the bounds hold throughout,
 * nothing leaks, and the Raft loop keeps ticking (the node keeps its leadership and term).
 */
class WriteFloodTest {
    private static final int MAX_PENDING = 4;
    private static final long MAX_PENDING_BYTES = 96 << 10;
    private static final long QUOTA = 2 << 20;
    private static final int VALUE = 32 << 10;

    @TempDir
    Path dir;
    private RaftKvNode node;
    private RaftTicker timer;

    @AfterEach
    void close() {
        if (timer != null) {
            timer.stop();
        }
        if (node != null) {
            node.close();
        }
    }

    private void start(int maxPendingReads) throws Exception {
        RaftKvNode.Settings s = new RaftKvNode.Settings("n1", "http://127.0.0.1:1", dir,
                new Membership(List.of(new Peer("n1", "http://127.0.0.1:2"))), RaftConfig.defaults("n1"), "",
                100, 50, Duration.ofSeconds(1), IdempotencyPolicy.defaults(), "", null);
        node = RaftKvNode.open(s, NodeMetrics.noop(), new NodeLimits(QUOTA,
                new Backpressure.Limits(MAX_PENDING, MAX_PENDING_BYTES, 1000, maxPendingReads)));
        node.start();
        timer = new RaftTicker(node, Duration.ofMillis(10));
        timer.start();
        node.board().awaitLeader(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFloodOfLinearizableReadsIsBoundedAndEveryReadIsAnswered() throws Exception {
        start(8);
        List<CompletableFuture<Void>> reads = new java.util.ArrayList<>();
        int maxWaiting = 0;
        for (int i = 0; i < 5000; i++) {
            reads.add(node.readBarrier());
            maxWaiting = Math.max(maxWaiting, node.backpressure().pendingReads());
        }
        Map<String, Integer> outcomes = new TreeMap<>();
        for (CompletableFuture<Void> r : reads) {
            String o = r.handle((v, e) -> e == null ? "confirmed" : outcome(null, e)).get(10, TimeUnit.SECONDS);
            outcomes.merge(o, 1, Integer::sum);
        }
        System.out.printf("read flood on one node: 5000 linearizable reads: %s; peak waiting %d%n", outcomes, maxWaiting);
        assertThat(outcomes.keySet()).containsExactlyInAnyOrder("confirmed", "overloaded:pending-reads");
        assertThat(maxWaiting).isLessThanOrEqualTo(8);
        assertThat(node.backpressure().pendingReads()).isZero();
    }

    @Test
    void everyWriteOfAFloodIsAnsweredAndTheBoundsHold() throws Exception {
        start(64);
        long term = node.status().term();

        // Clients that retry a refused write at once until it has a final answer (written or store-full).
        int threads = 8;
        int perThread = 20;
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        AtomicInteger maxPending = new AtomicInteger();
        AtomicLong maxPendingBytes = new AtomicLong();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Thread> writers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                for (int i = 0; i < perThread && System.nanoTime() < deadline; i++) {
                    String o;
                    do {
                        CompletableFuture<WriteResult> f = node.write(new KvCommand.Put("flood/" + id + "/" + i,
                                new byte[VALUE], null, Precondition.NONE, null, System.currentTimeMillis()));
                        maxPending.accumulateAndGet(node.backpressure().pendingWrites(), Math::max);
                        maxPendingBytes.accumulateAndGet(node.backpressure().pendingWriteBytes(), Math::max);
                        o = f.handle(WriteFloodTest::outcome).join();
                        outcomes.merge(o, 1, Integer::sum);
                    } while (o.startsWith("overloaded") && System.nanoTime() < deadline);
                }
            });
            writers.add(w);
            w.start();
        }
        for (Thread w : writers) {
            w.join(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1000);
        }
        System.out.printf("write flood on one node: %d clients x %d writes of %d KiB: answers %s; peak pending %d writes, %d KiB;"
                        + " stored %d of %d bytes%n", threads, perThread, VALUE >> 10, new TreeMap<>(outcomes),
                maxPending.get(), maxPendingBytes.get() >> 10, node.quota().usedBytes(), QUOTA);

        assertThat(outcomes.getOrDefault("written", 0) + outcomes.getOrDefault("store-full", 0))
                .as("every write ended with a final answer before the deadline").isEqualTo(threads * perThread);
        assertThat(outcomes.keySet()).as("every write got one of the expected answers")
                .isSubsetOf("written", "overloaded:pending-writes", "overloaded:pending-bytes", "overloaded:quota-pending",
                        "overloaded:apply-backlog", "store-full");
        assertThat(outcomes.get("written")).isPositive();
        assertThat(outcomes.getOrDefault("overloaded:pending-writes", 0) + outcomes.getOrDefault("overloaded:pending-bytes", 0))
                .as("the clients outran the node").isPositive();
        assertThat(outcomes.get("store-full")).as("the flood filled the store").isPositive();
        assertThat(maxPending.get()).isLessThanOrEqualTo(MAX_PENDING);
        assertThat(maxPendingBytes.get()).isLessThanOrEqualTo(MAX_PENDING_BYTES);
        assertThat(node.quota().usedBytes()).isLessThanOrEqualTo(QUOTA);
        assertThat(node.stateMachine().keyCount()).isEqualTo((long) outcomes.get("written"));
        assertThat(node.backpressure().pendingWrites()).as("nothing leaked").isZero();
        assertThat(node.backpressure().pendingWriteBytes()).isZero();
        assertThat(node.quota().pendingBytes()).isZero();
        assertThat(node.status().isLeader()).as("ticks kept flowing: no election").isTrue();
        assertThat(node.status().term()).isEqualTo(term);

        // Full: a delete still works, and makes room for a write.
        assertThat(node.quota().alarm()).isTrue();
        String some = node.stateMachine().list("flood/", null, 1).items().get(0).key();
        assertThat(node.write(new KvCommand.Delete(some, Precondition.NONE, null, 0)).get(10, TimeUnit.SECONDS))
                .isInstanceOf(WriteResult.Deleted.class);
        assertThat(node.quota().alarm()).isFalse();
        assertThat(node.write(new KvCommand.Put("after", new byte[VALUE], null, Precondition.NONE, null, 0))
                .get(10, TimeUnit.SECONDS)).isInstanceOf(WriteResult.Written.class);
    }

    private static String outcome(WriteResult r, Throwable e) {
        if (e == null) {
            return r instanceof WriteResult.Written ? "written" : r.toString();
        }
        Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof OverloadedException o) {
            return "overloaded:" + o.reason();
        }
        return c instanceof StoreFullException ? "store-full" : c.toString();
    }
}
