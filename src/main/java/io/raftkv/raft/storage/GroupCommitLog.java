package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.LogStore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit in front of a {@link LogStore}, for many independent writers: each
 * {@link #submit} queues one command; a single committer thread takes everything queued, appends it
 * as one batch (one write, one fsync) and only then completes the writers' futures. Commands that
 * arrive while an fsync is running wait for the next one and share it, so the number of fsyncs per
 * second stays flat while the entries per fsync grow with the load.
 *
 * <p>A Raft node driven by one event loop gets the same effect from batching per Ready; this front
 * is for callers that do not have such a loop, and is what the storage benchmark measures.
 */
public final class GroupCommitLog implements AutoCloseable {
    private static final Object STOP = new Object();

    private record Pending(byte[] data, CompletableFuture<Long> done) {
    }

    private final LogStore log;
    private final long term;
    private final int maxBatch;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread committer;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();

    /** Appends commands of {@code term} after the log's last entry; {@code maxBatch} bounds one fsync's batch. */
    public GroupCommitLog(LogStore log, long term, int maxBatch) {
        this.log = log;
        this.term = term;
        this.maxBatch = maxBatch;
        this.committer = new Thread(this::run, "group-commit");
        this.committer.setDaemon(true);
        this.committer.start();
    }

    /** Completes with the entry's index once it is durable, or exceptionally if the log failed. */
    public CompletableFuture<Long> submit(byte[] data) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        queue.add(new Pending(data, done));
        return done;
    }

    public long batches() {
        return batches.get();
    }

    public long entries() {
        return entries.get();
    }

    private void run() {
        List<Object> taken = new ArrayList<>();
        long next = log.lastIndex() + 1;
        boolean stopping = false;
        while (!stopping) {
            try {
                taken.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(taken, maxBatch - 1);
            List<Entry> batch = new ArrayList<>(taken.size());
            List<CompletableFuture<Long>> waiting = new ArrayList<>(taken.size());
            for (Object o : taken) {
                if (o == STOP) {
                    stopping = true;
                } else {
                    Pending p = (Pending) o;
                    batch.add(new Entry(next + batch.size(), term, EntryType.COMMAND, p.data()));
                    waiting.add(p.done());
                }
            }
            taken.clear();
            if (batch.isEmpty()) {
                continue;
            }
            try {
                log.append(batch);
            } catch (RuntimeException e) {
                waiting.forEach(f -> f.completeExceptionally(e));
                continue; // the log is failed now; later submissions fail the same way
            }
            batches.incrementAndGet();
            entries.addAndGet(batch.size());
            for (int k = 0; k < waiting.size(); k++) {
                waiting.get(k).complete(next + k);
            }
            next += batch.size();
        }
    }

    /** Commits what is already queued, then stops the committer. */
    @Override
    public void close() throws InterruptedException {
        queue.add(STOP);
        committer.join();
    }
}
