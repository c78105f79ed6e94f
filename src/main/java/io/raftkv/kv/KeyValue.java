package io.raftkv.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * A stored key, as the state machine holds it. Immutable.
 *
 * <p>{@code createRevision} is the revision (Raft index) of the write that created the key since
 * its last delete, {@code modRevision} that of its last write (the HTTP {@code ETag}), and
 * {@code version} the number of writes since creation (1 after create), as in etcd.
 * {@code contentType} may be null.
 *
 * <p><b>The {@link #value()} array is shared, not copied</b>: a GET of a several-MiB value should
 * not allocate and copy it again. The state machine copies every value on the way in, so nobody
 * outside holds a reference to a stored array, and callers must treat the returned array as
 * read-only. Use {@link #valueCopy()} when a private, mutable copy is needed.
 */
public record KeyValue(String key, byte[] value, String contentType, long createRevision, long modRevision,
                       long version) {

    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** A fresh copy of the value that the caller may modify. */
    public byte[] valueCopy() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv && kv.createRevision == createRevision && kv.modRevision == modRevision
                && kv.version == version && kv.key.equals(key) && Objects.equals(kv.contentType, contentType)
                && Arrays.equals(kv.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), contentType, createRevision, modRevision, version);
    }

    @Override
    public String toString() {
        return "KeyValue[key=" + key + ", value=" + value.length + "B, contentType=" + contentType
                + ", createRevision=" + createRevision + ", modRevision=" + modRevision + ", version=" + version + "]";
    }
}
