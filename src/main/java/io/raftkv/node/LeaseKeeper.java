package io.raftkv.node;

import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Runs the leader's {@link LeaseClock} on the node's monotonic clock: its one thread reads the
 * node's status and the applied leases every {@code checkEvery} and proposes the expirations the
 * clock answers. Replicas ignore an expiration whose term or renewal is stale (see
 * {@code KvStateMachine}), so every replica deletes the same keys at the same index, or none.
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    private final RaftKvNode node;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService timer;
    /** Touched by the timer thread, and read by {@link #remaining}, under this object's lock. */
    private final LeaseClock clock;

    public LeaseKeeper(RaftKvNode node, Duration electionTimeout, Duration checkEvery, LongSupplier nanoClock) {
        this.node = node;
        this.clock = new LeaseClock(electionTimeout);
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
        List<Leases.Lease> leases = s.isLeader() ? node.stateMachine().leases() : List.of();
        for (LeaseCommand.Expire x : clock.check(s.isLeader(), s.term(), leases, nanoClock.getAsLong())) {
            log.info("{}: lease {} ran out (renewed at {}); proposing its expiration in term {}",
                    s.id(), x.id(), x.renewedAt(), x.term());
            node.write(x).whenComplete((r, e) -> {
                if (e != null) {
                    log.debug("expiring lease {} was not applied: {}", x.id(), e.toString());
                }
            });
        }
    }

    /** What is left of lease {@code id}'s TTL by this leader's clock; empty on a follower, or for a lease granted or renewed since the last check. */
    public synchronized Optional<Duration> remaining(long id, long renewedAt) {
        if (!node.status().isLeader()) {
            return Optional.empty();
        }
        return clock.remaining(id, renewedAt, nanoClock.getAsLong());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
