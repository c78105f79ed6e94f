package io.raftkv.node;

import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * Drives every timer of the node: ticks it every {@code raftkv.timing.tick}. The core counts these
 * ticks for elections, heartbeats and CheckQuorum (it never reads a clock), and the driver runs out
 * the step-down grace of pending writes on them.
 */
public final class RaftTicker implements SmartLifecycle {
    private final RaftKvNode node;
    private final Duration tick;
    private final ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
    private ScheduledFuture<?> ticking;

    public RaftTicker(RaftKvNode node, Duration tick) {
        this.node = node;
        this.tick = tick;
        scheduler.setThreadNamePrefix("raftkv-tick-");
        scheduler.setDaemon(true);
    }

    @Override
    public synchronized void start() {
        scheduler.initialize();
        // Fixed delay, not fixed rate: a JVM that was starved of CPU (GC, an overloaded host, SIGSTOP)
        // must not catch up on missed ticks in a burst. A burst expires election timeouts and runs
        // several CheckQuorum rounds back to back before any waiting heartbeat or response is
        // stepped, so a stall of the whole cluster deposed a healthy leader. Dropping missed ticks
        // is what etcd's ticker does too; the cost is that elections take longer on a starved host.
        // The ticks of a stall of the Raft thread alone are dropped by the loop (RaftLoop.tick).
        ticking = scheduler.scheduleWithFixedDelay(node::tick, tick);
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
