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
     * {@code reason} says why. Nothing changed. Key-value commands never produce it.
     */
    record Refused(String reason) implements WriteResult {
    }

    WriteResult NOT_FOUND = new NotFound();
    WriteResult IDEMPOTENCY_KEY_REUSED = new IdempotencyKeyReused();
}
