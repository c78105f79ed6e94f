package io.raftkv.node;

import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * Raft's clock: ticks the node every {@code raftkv.timing.tick}. Elections, heartbeats and
 * CheckQuorum all count these ticks, so the core itself never reads a clock.
 */
public final class ElectionTimer implements SmartLifecycle {
    private final RaftKvNode node;
    private final Duration tick;
    private final ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
    private ScheduledFuture<?> ticking;

    public ElectionTimer(RaftKvNode node, Duration tick) {
        this.node = node;
        this.tick = tick;
        scheduler.setThreadNamePrefix("raftkv-tick-");
        scheduler.setDaemon(true);
    }

    @Override
    public synchronized void start() {
        scheduler.initialize();
        ticking = scheduler.scheduleAtFixedRate(node::tick, tick);
    }

    @Override
    public synchronized void stop() {
        if (ticking != null) {
            ticking.cancel(false);
            ticking = null;
        }
        scheduler.shutdown();
    }

    @Override
    public synchronized boolean isRunning() {
        return ticking != null;
    }

    /** Starts after the node's threads and stops before them. */
    @Override
    public int getPhase() {
        return NodeLifecycle.PHASE + 1;
    }
}
