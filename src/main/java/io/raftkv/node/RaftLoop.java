package io.raftkv.node;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The one thread that runs the {@link NodeDriver}. Other threads submit tasks; nothing locks the
 * driver. Each turn runs every queued task, then {@link NodeDriver#process()}, then publishes the
 * status. Tasks that arrive during an fsync are handled together in the next turn, which is what
 * batches proposals into one append and one fsync under load.
 *
 * <p>No task is ever dropped: a failed driver still runs (and answers) every task, and once the
 * thread has ended a task runs on its submitter's thread against the stopped driver, under a lock.
 */
final class RaftLoop<R> implements Runnable {
    private static final int MAX_TASKS_PER_TURN = 10_000;
    /** A stall this many ticks long is worth an operator's attention: 80 ms at the default 10 ms tick, a sixth of the election timeout. */
    private static final long STALL_WARN_TICKS = 8;
    private static final Logger log = LoggerFactory.getLogger(RaftLoop.class);

    private final NodeDriver<R> driver;
    private final StatusBoard board;
    private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final Object endLock = new Object();
    private final AtomicBoolean tickQueued = new AtomicBoolean();
    private final AtomicLong ticksDropped = new AtomicLong();
    private volatile boolean running = true;
    private boolean ended;

    RaftLoop(NodeDriver<R> driver, StatusBoard board) {
        this.driver = driver;
        this.board = board;
    }

    /** Runs {@code task} on the loop thread (or, once it has ended, here). */
    void submit(Consumer<NodeDriver<R>> task) {
        Runnable r = () -> task.accept(driver);
        synchronized (endLock) {
            if (!ended) {
                inbox.add(r);
                return;
            }
            r.run();
            board.publish(driver.status());
        }
    }

    /**
     * Queues a tick unless one is already waiting: a loop that was busy for a while (a snapshot saved
     * and log segments deleted, a long fsync, a collection) comes back with one tick, not with all the
     * ticks of its stall. A burst would run several CheckQuorum rounds back to back before the peers'
     * answers queued behind it, and when the whole cluster stalled together (every node snapshots at
     * the same index) the leader stepped down although every follower was answering. Dropped ticks
     * only make this node's timeouts longer, which is what a node that could not run should see.
     */
    void tick() {
        if (tickQueued.compareAndSet(false, true)) {
            submit(d -> {
                tickQueued.set(false);
                long dropped = ticksDropped.getAndSet(0);
                if (dropped >= STALL_WARN_TICKS) {
                    log.warn("the Raft thread was busy for about {} ticks; they were dropped, not run in a burst (a leader"
                            + " whose followers stalled with it would have stepped down)", dropped + 1);
                }
                d.tick();
            });
        } else {
            ticksDropped.incrementAndGet();
        }
    }

    /** Stops the driver (answering everything pending) and ends the thread. */
    void stop() {
        submit(NodeDriver::stop);
        running = false;
    }

    @Override
    public void run() {
        board.publish(driver.status());
        try {
            while (running) {
                Runnable task = inbox.poll(100, TimeUnit.MILLISECONDS);
                int n = 0;
                while (task != null) {
                    runTask(task);
                    task = ++n < MAX_TASKS_PER_TURN ? inbox.poll() : null;
                }
                driver.process();
                board.publish(driver.status());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            driver.stop();
        }
        synchronized (endLock) {
            ended = true;
            driver.stop();
            Runnable t;
            while ((t = inbox.poll()) != null) {
                runTask(t);
            }
            board.publish(driver.status());
        }
    }

    private void runTask(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            driver.fail("the Raft loop failed", t);
        }
    }
}
