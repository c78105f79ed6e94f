package io.raftkv.members;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs the reconciler every {@code raftkv.autopilot.interval} on a thread of its own while the node runs. */
public final class AutopilotSchedule implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(AutopilotSchedule.class);

    private final Reconciler reconciler;
    private final Duration interval;
    private ScheduledExecutorService executor;

    public AutopilotSchedule(Reconciler reconciler, Duration interval) {
        this.reconciler = reconciler;
        this.interval = interval;
    }

    @Override
    public synchronized void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raftkv-autopilot");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::reconcile, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void reconcile() {
        try {
            reconciler.reconcileOnce();
        } catch (RuntimeException e) {
            // A bug must not end the schedule: the next round looks at the cluster afresh.
            log.error("autopilot: reconcile failed", e);
        }
    }

    @Override
    public synchronized void stop() {
        executor.shutdownNow();
        executor = null;
    }

    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }

    /** Starts after the node and stops before it (a higher phase), so no change starts while it stops. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE + 1;
    }
}
