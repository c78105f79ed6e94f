package io.raftkv.node;

import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The leader's lease timing, without a thread or a clock of its own: {@link LeaseKeeper} runs it on
 * the node's monotonic clock, the simulator on simulated time. A lease's deadline is set when the
 * leader first sees its grant or keepalive applied, one TTL later; a leader new in its term first
 * gives every lease a full TTL plus one election timeout (the old leader may have renewed it just
 * before it fell), so a TTL is always a lower bound. A deadline that passed yields an
 * {@link LeaseCommand.Expire} tagged with the leader's term and the renewal it timed, again after an
 * election timeout if the first one was not applied. Not thread-safe: one caller at a time.
 */
public final class LeaseClock {
    private record Timed(long renewedAt, long deadlineNanos, long expireProposedAtNanos) {
    }

    private final long electionTimeoutNanos;
    /** The leases timed while leading in {@link #ledTerm}. */
    private final Map<Long, Timed> timed = new HashMap<>();
    private long ledTerm = -1;

    public LeaseClock(Duration electionTimeout) {
        this.electionTimeoutNanos = electionTimeout.toNanos();
    }

    /**
     * One round at {@code nowNanos}: times what is new or renewed and answers the expirations to
     * propose now. A follower ({@code leader} false) forgets every deadline.
     *
     * @param leases the leases as applied on this node (ignored on a follower)
     */
    public List<LeaseCommand.Expire> check(boolean leader, long term, List<Leases.Lease> leases, long nowNanos) {
        if (!leader) {
            ledTerm = -1;
            timed.clear();
            return List.of();
        }
        boolean newLeader = term != ledTerm;
        if (newLeader) {
            ledTerm = term;
            timed.clear();
        }
        Set<Long> live = leases.stream().map(Leases.Lease::id).collect(Collectors.toSet());
        timed.keySet().retainAll(live);
        List<LeaseCommand.Expire> expire = new ArrayList<>();
        for (Leases.Lease l : leases) {
            long ttl = TimeUnit.MILLISECONDS.toNanos(l.ttlMillis());
            Timed t = timed.get(l.id());
            if (t == null || t.renewedAt() != l.renewedAt()) {
                long extra = newLeader ? electionTimeoutNanos : 0;
                timed.put(l.id(), new Timed(l.renewedAt(), nowNanos + ttl + extra, 0));
            } else if (nowNanos - t.deadlineNanos() >= 0 && (t.expireProposedAtNanos() == 0
                    || nowNanos - t.expireProposedAtNanos() >= electionTimeoutNanos)) {
                timed.put(l.id(), new Timed(t.renewedAt(), t.deadlineNanos(), nowNanos));
                expire.add(new LeaseCommand.Expire(term, l.id(), l.renewedAt()));
            }
        }
        return expire;
    }

    /** What is left of lease {@code id}'s TTL; empty unless this clock times that renewal as leader. */
    public Optional<Duration> remaining(long id, long renewedAt, long nowNanos) {
        Timed t = ledTerm < 0 ? null : timed.get(id);
        if (t == null || t.renewedAt() != renewedAt) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(Math.max(0, t.deadlineNanos() - nowNanos)));
    }
}
