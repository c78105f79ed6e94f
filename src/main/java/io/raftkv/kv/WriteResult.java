package io.raftkv.kv;

/** The outcome of applying a write; also what the idempotency table replays to a retry. */
public sealed interface WriteResult {

    /** A PUT was applied; {@code revision} is its log index, {@code created} whether the key was new. */
    record Written(long revision, boolean created) implements WriteResult {
    }

    /** A DELETE was applied at {@code revision} (its log index). */
    record Deleted(long revision) implements WriteResult {
    }

    /** A DELETE found no key to remove (and its precondition, if any, held). Nothing changed. */
    record NotFound() implements WriteResult {
    }

    /** The precondition was false; {@code currentRevision} is the key's modRevision, 0 when absent. Nothing changed. */
    record PreconditionFailed(long currentRevision) implements WriteResult {
    }

    /** The Idempotency-Key was already used for a different request. Nothing changed. */
    record IdempotencyKeyReused() implements WriteResult {
    }

    /**
     * An auth command that the state at apply time does not allow (an unknown role, a full table);
     * {@code reason} says why. Nothing changed. Key-value commands never produce it; a stale lease expiration
     * does (see {@link LeaseCommand.Expire}).
     */
    record Refused(String reason) implements WriteResult {
    }

    /**
     * A transaction ran at {@code revision} (its log index): the {@code success} branch if
     * {@code succeeded}, else the {@code failure} branch; {@code results} has one entry per operation.
     */
    record TxnDone(boolean succeeded, long revision, java.util.List<OpResult> results) implements WriteResult {
        public TxnDone {
            results = java.util.List.copyOf(results);
        }
    }

    /** What one operation of a transaction did. */
    sealed interface OpResult {
        String key();
    }

    record PutDone(String key, boolean created) implements OpResult {
    }

    record DeleteDone(String key, boolean deleted) implements OpResult {
    }

    /** The key as of the transaction's revision; {@code kv} null when absent. */
    record GetDone(String key, KeyValue kv) implements OpResult {
    }

    /** A lease was granted at {@code id} (the grant's log index) or kept alive; either way it now runs {@code ttlMillis}. */
    record LeaseAlive(long id, long ttlMillis) implements WriteResult {
    }

    /** A lease ended (revoked, or expired) at {@code revision}, deleting {@code deletedKeys} keys. */
    record LeaseEnded(long id, long revision, int deletedKeys) implements WriteResult {
    }

    /** There is no lease {@code id} (never granted, or already ended). Nothing changed. */
    record LeaseNotFound(long id) implements WriteResult {
    }

    WriteResult NOT_FOUND = new NotFound();
    WriteResult IDEMPOTENCY_KEY_REUSED = new IdempotencyKeyReused();
}
