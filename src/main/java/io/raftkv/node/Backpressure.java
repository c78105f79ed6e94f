package io.raftkv.node;

import io.raftkv.kv.KvCommand;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Admission of client work on the leader, decided on the request's own thread before anything is
 * queued for the Raft loop: a write enters only while the writes pending here (proposed or about to
 * be, not yet applied) stay under a count and a byte bound, the apply backlog is short and the
 * {@link StoreQuota} has room; a linearizable read only while few reads wait. A refusal is an
 * exception the web layer answers with 429/507, so every request still gets an answer, and the
 * Raft loop, its ticks and peer messages never wait behind client work.
 *
 * <p>Every admitted write holds a {@link Ticket} until it is applied or its fate is settled
 * otherwise (see {@link Proposals}); the bounds therefore cover the whole path from the loop's
 * queue through the unstable log to the apply queue.
 */
public final class Backpressure {
    private static final int RETRY_AFTER_SECONDS = 1;

    /**
     * @param maxPendingWrites     writes admitted and not yet applied
     * @param maxPendingWriteBytes their encoded bytes (one write larger than this still enters when nothing else is pending)
     * @param maxApplyBacklog      committed entries not yet applied on this node
     * @param maxPendingReads      linearizable reads waiting for their read index
     */
    public record Limits(int maxPendingWrites, long maxPendingWriteBytes, long maxApplyBacklog, int maxPendingReads) {
        public Limits {
            if (maxPendingWrites < 1 || maxPendingWriteBytes < 1 || maxApplyBacklog < 1 || maxPendingReads < 1) {
                throw new IllegalArgumentException("backpressure limits must be positive");
            }
        }
    }

    /** What one admitted write holds; released exactly once, however the write ends. */
    static final class Ticket {
        static final Ticket NONE = new Ticket(null, 0, 0);

        private final Backpressure owner;
        private final long bytes;
        private final long quotaBytes;
        private final AtomicBoolean released = new AtomicBoolean();

        private Ticket(Backpressure owner, long bytes, long quotaBytes) {
            this.owner = owner;
            this.bytes = bytes;
            this.quotaBytes = quotaBytes;
        }

        void release() {
            if (owner != null && released.compareAndSet(false, true)) {
                owner.releaseWrite(bytes, quotaBytes);
            }
        }
    }

    private final Limits limits;
    private final StoreQuota quota;
    private final LongSupplier applyBacklog;
    private final NodeMetrics metrics;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong writeBytes = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();

    Backpressure(Limits limits, StoreQuota quota, LongSupplier applyBacklog, NodeMetrics metrics) {
        this.limits = limits;
        this.quota = quota;
        this.applyBacklog = applyBacklog;
        this.metrics = metrics;
    }

    /**
     * Admits a write of {@code entryBytes} (its encoded size) or refuses it; {@code cmd} is what the
     * store quota measures (null when the entry adds nothing to the key space).
     *
     * @throws OverloadedException if a bound is reached
     * @throws StoreFullException if the write does not fit in the store quota
     */
    Ticket admitWrite(KvCommand cmd, long entryBytes) {
        long backlog = applyBacklog.getAsLong();
        if (backlog > limits.maxApplyBacklog()) {
            throw refuse(new OverloadedException("apply-backlog", "this node has " + backlog
                    + " committed entries still to apply (raftkv.limits.max-apply-backlog is " + limits.maxApplyBacklog()
                    + "); the write was not proposed, retry shortly", RETRY_AFTER_SECONDS));
        }
        if (!tryAdd(writes, 1, limits.maxPendingWrites(), true)) {
            throw refuse(new OverloadedException("pending-writes", "this node already has " + limits.maxPendingWrites()
                    + " writes in progress (raftkv.limits.max-pending-writes); the write was not proposed, retry shortly",
                    RETRY_AFTER_SECONDS));
        }
        if (!tryAdd(writeBytes, entryBytes, limits.maxPendingWriteBytes(), false)) {
            writes.decrementAndGet();
            throw refuse(new OverloadedException("pending-bytes", "this node already has " + writeBytes.get()
                    + " bytes of writes in progress (raftkv.limits.max-pending-bytes is " + limits.maxPendingWriteBytes()
                    + "); the write was not proposed, retry shortly", RETRY_AFTER_SECONDS));
        }
        long reserved;
        try {
            reserved = quota.reserve(cmd);
        } catch (RuntimeException e) {
            releaseWrite(entryBytes, 0);
            throw refuse(e);
        }
        return new Ticket(this, entryBytes, reserved);
    }

    /**
     * Adds {@code n} unless that passes {@code max}, so the counter itself never exceeds its bound;
     * with {@code strict} false, {@code n} alone always fits when the counter is 0.
     */
    private static boolean tryAdd(AtomicLong counter, long n, long max, boolean strict) {
        while (true) {
            long now = counter.get();
            if (now + n > max && (strict || now > 0)) {
                return false;
            }
            if (counter.compareAndSet(now, now + n)) {
                return true;
            }
        }
    }

    private void releaseWrite(long bytes, long quotaBytes) {
        writeBytes.addAndGet(-bytes);
        writes.decrementAndGet();
        quota.release(quotaBytes);
    }

    /**
     * Admits a linearizable read or refuses it.
     *
     * @return what to run when the read has its answer
     * @throws OverloadedException if too many reads wait already
     */
    Runnable admitRead() {
        if (!tryAdd(reads, 1, limits.maxPendingReads(), true)) {
            throw refuse(new OverloadedException("pending-reads", "this node already has " + limits.maxPendingReads()
                    + " linearizable reads waiting (raftkv.limits.max-pending-reads); retry shortly, or read with consistency=stale",
                    RETRY_AFTER_SECONDS));
        }
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                reads.decrementAndGet();
            }
        };
    }

    private RuntimeException refuse(RuntimeException e) {
        metrics.refused(e instanceof OverloadedException o ? o.reason() : "store-full");
        return e;
    }

    public Limits limits() {
        return limits;
    }

    public int pendingWrites() {
        return (int) writes.get();
    }

    public long pendingWriteBytes() {
        return writeBytes.get();
    }

    public int pendingReads() {
        return (int) reads.get();
    }
}
