package io.raftkv.node;

import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Proposal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Writes this node proposed and is waiting to see applied. Every one is answered: with its result
 * when the entry at its index applies with its term; "not applied" when another entry took the slot;
 * "outcome unknown" when leadership is lost and the grace period passes without either, or when the
 * request times out. Never silence, never a false OK.
 */
final class Proposals {
    private record Pending(long term, CompletableFuture<WriteResult> future, long startedNanos, Backpressure.Ticket ticket) {
        /** Answers the write and gives back what it held against the limits. */
        void fail(RuntimeException cause) {
            ticket.release();
            future.completeExceptionally(cause);
        }
    }

    private final Map<Long, Pending> byIndex = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final Duration stepDownGrace;
    private final NodeMetrics metrics;

    Proposals(ScheduledExecutorService timer, Duration stepDownGrace, NodeMetrics metrics) {
        this.timer = timer;
        this.stepDownGrace = stepDownGrace;
        this.metrics = metrics;
    }

    void register(Proposal p, CompletableFuture<WriteResult> future) {
        register(p, future, Backpressure.Ticket.NONE);
    }

    /** {@code ticket} is released when the write is answered (or, if the caller stopped waiting, resolved). */
    void register(Proposal p, CompletableFuture<WriteResult> future, Backpressure.Ticket ticket) {
        byIndex.put(p.index(), new Pending(p.term(), future, System.nanoTime(), ticket));
    }

    /** The entry at {@code index} with {@code term} was applied; {@code result} is null for non-commands. */
    void applied(long index, long term, WriteResult result) {
        Pending p = byIndex.remove(index);
        if (p == null) {
            return;
        }
        if (p.term() == term && result != null) {
            p.ticket().release();
            metrics.proposalApplied(System.nanoTime() - p.startedNanos());
            p.future().complete(result);
        } else {
            p.fail(new WriteNotAppliedException(
                    "the write lost its place in the log to another leader's entry and was not applied"));
        }
    }

    /** A snapshot replaced the state up to {@code index}: what happened to writes there cannot be told apart. */
    void coveredBySnapshot(long index) {
        byIndex.entrySet().removeIf(e -> {
            if (e.getKey() <= index) {
                e.getValue().fail(new WriteOutcomeUnknownException(
                        "this node lost leadership and caught up from a snapshot; the write may or may not have been applied"));
                return true;
            }
            return false;
        });
    }

    /**
     * This node stopped leading. Its pending writes may still commit through the new leader, which
     * this node will learn as a follower; give them {@code stepDownGrace}, then say the outcome is unknown.
     */
    void leadershipLost() {
        for (Map.Entry<Long, Pending> e : byIndex.entrySet()) {
            long index = e.getKey();
            Pending p = e.getValue();
            timer.schedule(() -> {
                if (byIndex.remove(index, p)) {
                    p.fail(new WriteOutcomeUnknownException(
                            "this node lost leadership before the write was known to commit; it may or may not be applied"));
                }
            }, stepDownGrace.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The caller stopped waiting (request timeout): forget the write but keep its outcome honest. */
    void abandon(long index, CompletableFuture<WriteResult> future) {
        byIndex.computeIfPresent(index, (i, p) -> {
            if (p.future() != future) {
                return p;
            }
            p.ticket().release();
            return null;
        });
    }

    void failAll(RuntimeException cause) {
        byIndex.values().removeIf(p -> {
            p.fail(cause);
            return true;
        });
    }

    int size() {
        return byIndex.size();
    }
}
