package io.raftkv.node;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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

    private final NodeDriver<R> driver;
    private final StatusBoard board;
    private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final Object endLock = new Object();
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
