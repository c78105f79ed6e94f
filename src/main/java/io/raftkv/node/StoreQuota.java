package io.raftkv.node;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The store quota ({@code raftkv.limits.max-store-size}), enforced on the leader before a write is
 * proposed, never when it is applied: every replica applies everything committed, so all of them
 * hold the same state. Usage is {@link KvStateMachine#storedBytes()}, which over-counts the heap it
 * stands for, plus the full cost of every put proposed and not yet applied, so concurrent writes
 * cannot overshoot together.
 *
 * <p>A put is measured by what it adds: replacing a value with one no larger passes even at the
 * quota, so clients can still shrink data. Deletes always pass. Only the remembered outcomes of
 * idempotent deletes can add to usage past the quota, and the idempotency table bounds those.
 */
public final class StoreQuota {
    private final long quotaBytes;
    private final KvStateMachine data;
    private final AtomicLong pending = new AtomicLong();
    /** Usage when a put was last refused, or -1: the alarm holds until usage falls below it. */
    private volatile long alarmAt = -1;

    StoreQuota(long quotaBytes, KvStateMachine data) {
        if (quotaBytes < 1) {
            throw new IllegalArgumentException("raftkv.limits.max-store-size must be positive, got " + quotaBytes);
        }
        this.quotaBytes = quotaBytes;
        this.data = data;
    }

    /**
     * Reserves what {@code cmd} may add; release it once the write is applied or dropped.
     *
     * @return the bytes reserved (0 for a delete, or for null: an entry that is not a key-value command)
     * @throws StoreFullException when the write does not fit even with nothing else pending
     * @throws OverloadedException when it fits only once writes already pending have applied
     */
    long reserve(KvCommand cmd) {
        if (!(cmd instanceof KvCommand.Put put)) {
            return 0;
        }
        long cost = KvStateMachine.entryCost(put.key(), put.value().length, put.contentType())
                + (put.idempotencyKey() == null ? 0 : KvStateMachine.IDEMPOTENCY_ENTRY_COST);
        KeyValue current = data.get(put.key()).orElse(null);
        long credit = current == null ? 0 : KvStateMachine.entryCost(current.key(), current.value().length, current.contentType());
        long used = data.storedBytes();
        long growth = cost - credit;
        if (used + growth > quotaBytes) {
            alarmAt = used;
            throw new StoreFullException(used, quotaBytes, growth);
        }
        while (true) {
            long reserved = pending.get();
            if (growth > 0 && used + reserved + growth > quotaBytes) {
                throw new OverloadedException("quota-pending", "writes already in progress may fill the store ("
                        + used + " bytes stored and " + reserved + " pending of " + quotaBytes
                        + "); this write was not proposed, retry shortly", 1);
            }
            if (pending.compareAndSet(reserved, reserved + cost)) {
                return cost;
            }
        }
    }

    void release(long reserved) {
        if (reserved != 0) {
            pending.addAndGet(-reserved);
        }
    }

    public long quotaBytes() {
        return quotaBytes;
    }

    /** What the stored data counts against the quota now. */
    public long usedBytes() {
        return data.storedBytes();
    }

    /** Reserved by writes proposed and not yet applied. */
    public long pendingBytes() {
        return pending.get();
    }

    /**
     * Whether this node refused a put for space and usage has not gone down since. Raised only
     * where writes are refused, the leader; a node that becomes leader raises it at its first refusal.
     */
    public boolean alarm() {
        long at = alarmAt;
        if (at >= 0 && data.storedBytes() < at) {
            alarmAt = -1;
            return false;
        }
        return at >= 0;
    }
}
