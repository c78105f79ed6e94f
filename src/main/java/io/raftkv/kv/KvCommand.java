package io.raftkv.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * A client write as it travels through the Raft log.
 *
 * <p>{@code idempotencyKey} is nullable. {@code proposedAtMillis} is the leader's wall clock when it
 * proposed the write; it is used only to expire idempotency outcomes, deterministically.
 *
 * <p>Constructors refuse what could not be replicated faithfully: a null or empty key, and strings
 * with unpaired surrogates (they do not survive UTF-8). A null precondition means {@link Precondition#NONE}.
 *
 * <h2>Wire format, version 1</h2>
 * <pre>
 * u8      format version (1)
 * u8      kind: 1 = Put, 2 = Delete
 * string  key
 * Put:    bytes value, optstring contentType
 * u8      precondition: 0 None, 1 Revision (then varint revision), 2 Absent, 3 Present
 * optstring idempotencyKey
 * zigzag varint proposedAtMillis
 * </pre>
 * {@code string} and {@code bytes} are an unsigned varint length then the (UTF-8) bytes;
 * {@code optstring} is a varint of length + 1, 0 meaning null. Nothing may follow the last field.
 */
public sealed interface KvCommand {

    byte FORMAT_VERSION = 1;

    String key();

    Precondition precondition();

    String idempotencyKey();

    long proposedAtMillis();

    /**
     * Creates or replaces a key. The {@code value} array is not copied here; the state machine copies
     * it when it stores it.
     */
    record Put(String key, byte[] value, String contentType, Precondition precondition, String idempotencyKey,
               long proposedAtMillis) implements KvCommand {
        public Put {
            requireKey(key);
            Objects.requireNonNull(value, "value");
            if (contentType != null) {
                Utf8.requireWellFormed(contentType, "contentType");
            }
            precondition = precondition == null ? Precondition.NONE : precondition;
            if (idempotencyKey != null) {
                Utf8.requireWellFormed(idempotencyKey, "idempotencyKey");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && p.proposedAtMillis == proposedAtMillis && p.key.equals(key)
                    && Arrays.equals(p.value, value) && Objects.equals(p.contentType, contentType)
                    && p.precondition.equals(precondition) && Objects.equals(p.idempotencyKey, idempotencyKey);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Arrays.hashCode(value), contentType, precondition, idempotencyKey, proposedAtMillis);
        }

        @Override
        public String toString() {
            return "Put[key=" + key + ", value=" + value.length + "B, contentType=" + contentType + ", precondition="
                    + precondition + ", idempotencyKey=" + idempotencyKey + ", proposedAtMillis=" + proposedAtMillis + "]";
        }
    }

    /** Removes a key. */
    record Delete(String key, Precondition precondition, String idempotencyKey, long proposedAtMillis)
            implements KvCommand {
        public Delete {
            requireKey(key);
            precondition = precondition == null ? Precondition.NONE : precondition;
            if (idempotencyKey != null) {
                Utf8.requireWellFormed(idempotencyKey, "idempotencyKey");
            }
        }
    }

    private static void requireKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        Utf8.requireWellFormed(key, "key");
    }

    /** The compact binary form; the first byte is {@link #FORMAT_VERSION}. */
    default byte[] encode() {
        return KvCommandCodec.encode(this);
    }

    /**
     * Parses {@link #encode()}'s output.
     *
     * @throws IllegalArgumentException with a message saying what is wrong, for anything else
     */
    static KvCommand decode(byte[] data) {
        return KvCommandCodec.decode(data);
    }
}
