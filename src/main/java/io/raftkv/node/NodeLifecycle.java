package io.raftkv.node;

import org.springframework.context.SmartLifecycle;

import java.time.Duration;

/**
 * Starts the node's threads with the application and stops them last, after the web server has
 * finished its in-flight requests. Before that, {@link LeadershipHandover} moves leadership away.
 */
public final class NodeLifecycle implements SmartLifecycle {
    /** Below the web server's graceful-shutdown phase, so the node outlives the requests that use it. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final RaftKvNode node;
    private volatile boolean running;

    public NodeLifecycle(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public void start() {
        node.start();
        running = true;
    }

    @Override
    public void stop() {
        node.close();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** On shutdown a leader first hands over leadership, before the web server stops taking requests. */
    public static final class LeadershipHandover implements SmartLifecycle {
        private final RaftKvNode node;
        private final Duration wait;
        private volatile boolean running;

        public LeadershipHandover(RaftKvNode node, Duration wait) {
            this.node = node;
            this.wait = wait;
        }

        @Override
        public void start() {
            running = true;
        }

        @Override
        public void stop() {
            node.handOverLeadership(wait);
            running = false;
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        /** Stops first of all: above the web server's graceful shutdown. */
        @Override
        public int getPhase() {
            return Integer.MAX_VALUE - 100;
        }
    }
}
