package io.raftkv.node;

import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The leader's lease clock. Only the leader times leases, on its monotonic clock; followers keep
 * none. A lease's deadline is set when the leader sees its grant or keepalive applied, one TTL
 * later; a leader new in its term first gives every lease a full TTL plus one election timeout (the
 * old leader may have renewed it just before it fell), so a TTL is always a lower bound. When a
 * deadline passes the leader proposes an {@link LeaseCommand.Expire} tagged with its term and the
 * renewal it timed; replicas ignore it if either is stale (see {@code KvStateMachine}), so every
 * replica deletes the same keys at the same index, or none.
 *
 * <p>Its one thread reads the node's status and the applied leases every {@code checkEvery}.
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    private record Timed(long renewedAt, long deadlineNanos, long expireProposedAtNanos) {
    }

    private final RaftKvNode node;
    private final long electionTimeoutNanos;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService timer;
    /** The leases this node times while it leads in {@link #ledTerm}; touched by the timer thread only, read under its lock. */
    private final Map<Long, Timed> timed = new HashMap<>();
    private long ledTerm = -1;

    public LeaseKeeper(RaftKvNode node, Duration electionTimeout, Duration checkEvery, LongSupplier nanoClock) {
        this.node = node;
        this.electionTimeoutNanos = electionTimeout.toNanos();
        this.nanoClock = nanoClock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raftkv-leases");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::checkQuietly, checkEvery.toMillis(), checkEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            log.warn("checking the leases failed; trying again at the next check", e);
        }
    }

    /** One round: time what is new or renewed, expire what ran out. Timer thread (tests call it directly). */
    synchronized void check() {
        NodeStatus s = node.status();
        if (!s.isLeader()) {
            ledTerm = -1;
            timed.clear();
            return;
        }
        long now = nanoClock.getAsLong();
        boolean newLeader = s.term() != ledTerm;
        if (newLeader) {
            ledTerm = s.term();
            timed.clear();
        }
        List<Leases.Lease> leases = node.stateMachine().leases();
        Set<Long> live = leases.stream().map(Leases.Lease::id).collect(Collectors.toSet());
        timed.keySet().retainAll(live);
        for (Leases.Lease l : leases) {
            long ttl = TimeUnit.MILLISECONDS.toNanos(l.ttlMillis());
            Timed t = timed.get(l.id());
            if (t == null || t.renewedAt() != l.renewedAt()) {
                long extra = newLeader ? electionTimeoutNanos : 0;
                timed.put(l.id(), new Timed(l.renewedAt(), now + ttl + extra, 0));
            } else if (now - t.deadlineNanos() >= 0 && (t.expireProposedAtNanos() == 0
                    || now - t.expireProposedAtNanos() >= electionTimeoutNanos)) {
                timed.put(l.id(), new Timed(t.renewedAt(), t.deadlineNanos(), now));
                long term = s.term();
                log.info("{}: lease {} ran out (TTL {} ms, renewed at {}); proposing its expiration in term {}",
                        s.id(), l.id(), l.ttlMillis(), l.renewedAt(), term);
                node.write(new LeaseCommand.Expire(term, l.id(), l.renewedAt())).whenComplete((r, e) -> {
                    if (e != null) {
                        log.debug("expiring lease {} was not applied: {}", l.id(), e.toString());
                    }
                });
            }
        }
    }

    /** What is left of lease {@code id}'s TTL by this leader's clock; empty on a follower, or for a lease granted or renewed since the last check. */
    public synchronized Optional<Duration> remaining(long id, long renewedAt) {
        Timed t = timed.get(id);
        if (t == null || t.renewedAt() != renewedAt || !node.status().isLeader()) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(Math.max(0, t.deadlineNanos() - nanoClock.getAsLong())));
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
