package io.raftkv.watch;

import io.raftkv.kv.KvEvent;
import io.raftkv.kv.KvStateMachine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The node's watch side: keeps the {@link EventHistory} of what the state machine applies, wakes the
 * watchers waiting for it, and runs each watcher on a thread of its own, at most
 * {@code maxWatchers} at once.
 */
public final class WatchHub implements KvStateMachine.Listener, AutoCloseable {

    /** The history's bounds and the number of watchers (streams and long polls) served at once. */
    public record Bounds(int maxEvents, long maxBytes, Duration maxAge, int maxWatchers) {
    }

    private final KvStateMachine data;
    private final EventHistory history;
    private final LongSupplier nanoClock;
    private final ThreadPoolExecutor watchers;
    private final Object signal = new Object();
    private volatile boolean closed;
    /** Counts changes of the roles and tokens, so a waiting watcher wakes to re-check its permission. */
    private volatile long authChanges;
    /**
     * Wakes the watchers for the apply thread, started with the first watcher. Waking them directly
     * made the apply thread queue for {@link #signal} behind every watcher it woke: with 1,000
     * watchers an apply took up to tens of milliseconds. The apply thread now only counts a change
     * in {@link #changes} and unparks this thread, which wakes everyone once for however many changes.
     */
    private volatile Thread notifier;
    private final AtomicLong changes = new AtomicLong();

    /** Listens to {@code data} from now on: the history starts at its applied index. Before the apply thread starts. */
    public WatchHub(KvStateMachine data, Bounds bounds, LongSupplier nanoClock) {
        this.data = data;
        this.nanoClock = nanoClock;
        this.history = new EventHistory(bounds.maxEvents(), bounds.maxBytes(), bounds.maxAge().toNanos(), data.appliedIndex());
        AtomicInteger n = new AtomicInteger();
        this.watchers = new ThreadPoolExecutor(0, bounds.maxWatchers(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "raftkv-watch-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        data.listen(this);
    }

    @Override
    public void applied(long revision, List<KvEvent> events) {
        history.append(revision, events, nanoClock.getAsLong());
        wake();
    }

    @Override
    public void restored(long appliedIndex) {
        history.reset(appliedIndex);
        authChanges++; // a snapshot brings its own roles and tokens
        wake();
    }

    @Override
    public void authChanged() {
        authChanges++; // only the apply thread writes it
        wake();
    }

    long authChanges() {
        return authChanges;
    }

    private void wake() {
        Thread n = notifier;
        if (n == null) {
            notifyWaiters();
            return;
        }
        changes.incrementAndGet();
        LockSupport.unpark(n);
    }

    private void notifyWaiters() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    private void notifyLoop() {
        long told = 0;
        while (!closed) {
            long seen = changes.get();
            if (seen == told) {
                LockSupport.park(this);
                continue;
            }
            told = seen;
            notifyWaiters();
        }
        notifyWaiters();
    }

    private synchronized void startNotifier() {
        if (notifier == null && !closed) {
            Thread t = new Thread(this::notifyLoop, "raftkv-watch-notifier");
            t.setDaemon(true);
            t.start();
            notifier = t;
        }
    }

    /**
     * The batches after {@code cursor}, waiting up to {@code timeoutNanos} for one; empty if none came
     * or the hub closed.
     *
     * @throws HistoryGoneException if the history no longer reaches back to {@code cursor}
     */
    List<EventHistory.Batch> await(long cursor, long timeoutNanos) throws HistoryGoneException, InterruptedException {
        return await(cursor, timeoutNanos, -1);
    }

    /** As {@link #await(long, long)}, and also returns (maybe empty) once {@link #authChanges()} is not {@code authSeen}. */
    List<EventHistory.Batch> await(long cursor, long timeoutNanos, long authSeen) throws HistoryGoneException, InterruptedException {
        long deadline = nanoClock.getAsLong() + timeoutNanos;
        synchronized (signal) {
            while (true) {
                List<EventHistory.Batch> batches = history.after(cursor, 256, nanoClock.getAsLong());
                long left = deadline - nanoClock.getAsLong();
                if (!batches.isEmpty() || left <= 0 || closed || authSeen >= 0 && authChanges != authSeen) {
                    return batches;
                }
                TimeUnit.NANOSECONDS.timedWait(signal, left);
            }
        }
    }

    /**
     * Waits up to {@code timeoutNanos} until the state machine has applied {@code index}. Entries
     * that change no key wake no one, so this looks again every few milliseconds.
     */
    public boolean awaitApplied(long index, long timeoutNanos) throws InterruptedException {
        long deadline = nanoClock.getAsLong() + timeoutNanos;
        synchronized (signal) {
            while (data.appliedIndex() < index) {
                long left = deadline - nanoClock.getAsLong();
                if (left <= 0 || closed) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(signal, Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)));
            }
            return true;
        }
    }

    /**
     * Runs a watcher on a thread of its own.
     *
     * @return false, running nothing, if {@code maxWatchers} already run
     */
    public boolean start(Runnable watcher) {
        if (closed) {
            return false;
        }
        if (notifier == null) {
            startNotifier();
        }
        try {
            watchers.execute(watcher);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** The oldest revision a watch may resume from now. */
    public long oldestRevision() {
        return history.floor();
    }

    public KvStateMachine data() {
        return data;
    }

    public int activeWatchers() {
        return watchers.getActiveCount();
    }

    public int historyEvents() {
        return history.eventCount();
    }

    public long historyBytes() {
        return history.byteCount();
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    boolean closed() {
        return closed;
    }

    EventHistory history() {
        return history;
    }

    /** Ends every watcher at its next wait; the streams end as if the client left. */
    @Override
    public void close() {
        closed = true;
        wake();
        watchers.shutdown();
    }
}
