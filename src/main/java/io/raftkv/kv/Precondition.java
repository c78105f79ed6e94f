package io.raftkv.kv;

/**
 * What must hold for a write to happen; the HTTP layer builds it from {@code If-Match} and
 * {@code If-None-Match}. A write whose precondition is false changes nothing and yields
 * {@link WriteResult.PreconditionFailed}.
 */
public sealed interface Precondition {

    /** No condition: the write always happens. */
    record None() implements Precondition {
    }

    /** {@code If-Match: "<rev>"}: the key exists and its {@code modRevision} equals {@code revision}. */
    record Revision(long revision) implements Precondition {
        public Revision {
            if (revision < 0) {
                throw new IllegalArgumentException("revision must not be negative, got " + revision);
            }
        }
    }

    /** {@code If-None-Match: *}: the key does not exist (create only). */
    record Absent() implements Precondition {
    }

    /** {@code If-Match: *}: the key exists (update only). */
    record Present() implements Precondition {
    }

    Precondition NONE = new None();
    Precondition ABSENT = new Absent();
    Precondition PRESENT = new Present();

    static Precondition revision(long revision) {
        return new Revision(revision);
    }

    /** Whether the condition holds for a key whose current state is {@code current} (null when absent). */
    default boolean holdsFor(KeyValue current) {
        if (this instanceof Revision r) {
            return current != null && current.modRevision() == r.revision();
        } else if (this instanceof Absent) {
            return current == null;
        } else if (this instanceof Present) {
            return current != null;
        }
        return true;
    }
}
