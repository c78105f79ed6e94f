package io.raftkv.kv;

/**
 * One applied change of one key, for watchers. A put carries the key as written; a delete the
 * key as it was just before, with {@code revision} the deleting entry's index, and
 * {@code lease} the lease whose end deleted it (0 when a client deleted it).
 * Several events may share a revision (a transaction, a lease's end).
 */
public record KvEvent(Type type, long revision, KeyValue kv, long lease) {
    public enum Type { PUT, DELETE }

    public String key() {
        return kv.key();
    }

    /** Whether a lease's expiration or revocation, not a client's delete, removed the key. */
    public boolean byLease() {
        return lease != 0;
    }
}
