package io.raftkv.kv;

/**
 * How long and how many outcomes the idempotency table remembers. Every replica must use the same
 * policy, because expiry decides whether a retry is replayed or applied again.
 *
 * @param maxEntries at most this many idempotency keys are remembered; the oldest go first (0 remembers none)
 * @param ttlMillis  an outcome is forgotten once the table clock is more than this past the moment it was remembered
 */
public record IdempotencyPolicy(int maxEntries, long ttlMillis) {

    public IdempotencyPolicy {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative, got " + maxEntries);
        }
        if (ttlMillis < 0) {
            throw new IllegalArgumentException("ttlMillis must not be negative, got " + ttlMillis);
        }
    }

    /** 100 000 keys for one hour. */
    public static IdempotencyPolicy defaults() {
        return new IdempotencyPolicy(100_000, 3_600_000L);
    }
}
