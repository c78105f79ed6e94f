package io.raftkv.node;

import io.raftkv.raft.Proposal;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes this node proposed and is waiting to see applied. Every one is answered: with its result
 * when the entry at its index applies with its term; "not applied" when another entry took the slot;
 * "outcome unknown" when leadership is lost and the grace period passes without either, when a
 * snapshot covers it, or when the node stops. Never silence, never a false OK.
 *
 * <p>Concurrency: the driver's thread registers, starts and expires the grace, and fails all; the
 * apply side reports applied entries and snapshots, possibly from another thread. Each write is
 * removed from the map exactly once, by whoever answers it.
 *
 * @param <R> the result of applying a command
 */
public final class Proposals<R> {
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final class Pending<R> {
        final long term;
        final CompletableFuture<R> future;
        final long startedNanos;
        final Backpressure.Ticket ticket;
        /** When the write is given up as "outcome unknown"; set once its proposer stopped leading. */
        volatile long giveUpAt = NO_DEADLINE;

        Pending(long term, CompletableFuture<R> future, long startedNanos, Backpressure.Ticket ticket) {
            this.term = term;
            this.future = future;
            this.startedNanos = startedNanos;
            this.ticket = ticket;
        }

        /** Answers the write and gives back what it held against the limits. */
        void fail(RuntimeException cause) {
            ticket.release();
            future.completeExceptionally(cause);
        }
    }

    private final Map<Long, Pending<R>> byIndex = new ConcurrentHashMap<>();
    private final Clock clock;
    private final long stepDownGraceNanos;
    private final NodeMetrics metrics;
    /** Whether some write has a deadline, so ticks need not scan the map otherwise. */
    private boolean graceRunning;

    public Proposals(Clock clock, java.time.Duration stepDownGrace, NodeMetrics metrics) {
        this.clock = clock;
        this.stepDownGraceNanos = stepDownGrace.toNanos();
        this.metrics = metrics;
    }

    /** {@code ticket} is released when the write is answered. */
    void register(Proposal p, CompletableFuture<R> future, Backpressure.Ticket ticket) {
        Pending<R> older = byIndex.put(p.index(), new Pending<>(p.term(), future, clock.nanos(), ticket));
        if (older != null) {
            // This node lost leadership, its log was cut back, and it leads again: its new entry took
            // the slot here. The older write is gone from this log but may survive in another's and
            // still commit under a later leader, so its outcome is unknown, not "not applied".
            older.fail(leadershipLostUnknown());
        }
    }

    /**
     * The entry at {@code index} with {@code term} was applied; {@code result} is null for entries that
     * are no command (a membership change). Same index and term mean the same entry (Log Matching).
     */
    void applied(long index, long term, R result) {
        Pending<R> p = byIndex.remove(index);
        if (p == null) {
            return;
        }
        if (p.term == term) {
            p.ticket.release();
            metrics.proposalApplied(clock.nanos() - p.startedNanos);
            p.future.complete(result);
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
     * this node will learn as a follower; they get the step-down grace, then "outcome unknown".
     */
    void leadershipLost() {
        long deadline = clock.nanos() + stepDownGraceNanos;
        for (Pending<R> p : byIndex.values()) {
            if (p.giveUpAt == NO_DEADLINE) {
                p.giveUpAt = deadline;
                graceRunning = true;
            }
        }
    }

    /** Answers the writes whose grace has run out; called on every tick. */
    void expireGrace() {
        if (!graceRunning) {
            return;
        }
        long now = clock.nanos();
        boolean more = false;
        for (Map.Entry<Long, Pending<R>> e : byIndex.entrySet()) {
            Pending<R> p = e.getValue();
            if (p.giveUpAt != NO_DEADLINE && p.giveUpAt - now <= 0 && byIndex.remove(e.getKey(), p)) {
                p.fail(leadershipLostUnknown());
            } else if (p.giveUpAt != NO_DEADLINE) {
                more = true;
            }
        }
        graceRunning = more;
    }

    private static WriteOutcomeUnknownException leadershipLostUnknown() {
        return new WriteOutcomeUnknownException(
                "this node lost leadership before the write was known to commit; it may or may not be applied");
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
