package io.raftkv.kv;

import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Objects;

/**
 * The outcomes of writes that carried an Idempotency-Key, so that a retry is answered from here
 * instead of being applied twice. Used by the apply thread only.
 *
 * <p>Expiry is a pure function of the applied commands, so every replica forgets the same entries
 * at the same log index: the table's clock is the largest {@code proposedAtMillis} seen so far (it
 * never goes back, even if a new leader's wall clock is behind the old one's), and each entry is
 * stamped with that clock when it is remembered. Stamps therefore never decrease in insertion
 * order, and both expiry and the size cap only ever remove from the front of a
 * {@link LinkedHashMap}: O(1) amortized per write.
 */
final class IdempotencyTable {

    /** The clock before any command was seen. */
    static final long NO_TIME = Long.MIN_VALUE;

    /** What is remembered per idempotency key. {@code fingerprint} is a SHA-256 of the request. */
    record Outcome(byte[] fingerprint, WriteResult result, long rememberedAt) {
        Outcome {
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(result, "result");
        }
    }

    private final IdempotencyPolicy policy;
    private final LinkedHashMap<String, Outcome> entries = new LinkedHashMap<>();
    private long clock = NO_TIME;
    /** {@code entries.size()} for other threads (metrics). */
    private volatile int size;
    /** What remembered transaction results hold beyond the fixed cost of an entry (keys, read values). */
    private volatile long resultBytes;

    IdempotencyTable(IdempotencyPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    long clock() {
        return clock;
    }

    int size() {
        return size;
    }

    /**
     * Heap that remembered results hold beyond the fixed cost of an entry: a transaction's keys and
     * the values it read, which the table keeps alive even after the keys change. Any thread.
     */
    long resultBytes() {
        return resultBytes;
    }

    static long resultCost(WriteResult r) {
        if (!(r instanceof WriteResult.TxnDone t)) {
            return 0;
        }
        long bytes = 0;
        for (WriteResult.OpResult o : t.results()) {
            bytes += 64 + 2L * o.key().length();
            if (o instanceof WriteResult.GetDone g && g.kv() != null) {
                bytes += 64 + g.kv().value().length + (g.kv().contentType() == null ? 0 : 2L * g.kv().contentType().length());
            }
        }
        return bytes;
    }

    /** Entries in insertion (= stamp) order, for the snapshot. Do not modify. */
    Collection<java.util.Map.Entry<String, Outcome>> entries() {
        return entries.entrySet();
    }

    /** Advances the clock to {@code proposedAtMillis} if that is later, then forgets what has expired. */
    void observe(long proposedAtMillis) {
        if (proposedAtMillis > clock) {
            clock = proposedAtMillis;
        }
        Iterator<Outcome> it = entries.values().iterator();
        while (it.hasNext()) {
            Outcome o = it.next();
            if (!expired(o) && entries.size() <= policy.maxEntries()) {
                break;
            }
            it.remove();
            resultBytes -= resultCost(o.result());
        }
        size = entries.size();
    }

    private boolean expired(Outcome o) {
        // rememberedAt <= clock always; a negative difference can only be an overflow, i.e. very old.
        long age = clock - o.rememberedAt();
        return age < 0 || age > policy.ttlMillis();
    }

    /**
     * The remembered result for {@code key} if the request has the same fingerprint,
     * {@link WriteResult#IDEMPOTENCY_KEY_REUSED} if it differs, or null if nothing is remembered.
     */
    WriteResult lookup(String key, byte[] fingerprint) {
        Outcome o = entries.get(key);
        if (o == null) {
            return null;
        }
        return Arrays.equals(o.fingerprint(), fingerprint) ? o.result() : WriteResult.IDEMPOTENCY_KEY_REUSED;
    }

    /** Remembers the outcome of a request that was just applied, then enforces the size cap. */
    void remember(String key, byte[] fingerprint, WriteResult result) {
        if (policy.maxEntries() == 0) {
            return;
        }
        entries.put(key, new Outcome(fingerprint, result, clock));
        resultBytes += resultCost(result);
        Iterator<Outcome> it = entries.values().iterator();
        while (entries.size() > policy.maxEntries()) {
            resultBytes -= resultCost(it.next().result());
            it.remove();
        }
        size = entries.size();
    }

    /** Used by snapshot restore on a fresh table: sets the clock. */
    void restoreClock(long clock) {
        this.clock = clock;
    }

    /** Used by snapshot restore on a fresh table: appends an entry in its original order. */
    void restoreEntry(String key, Outcome outcome) {
        entries.put(key, outcome);
        resultBytes += resultCost(outcome.result());
        size = entries.size();
    }
}
