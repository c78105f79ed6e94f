package io.raftkv.kv;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A multi-key transaction as it travels through the Raft log: if every comparison holds, the
 * {@code success} operations run, otherwise the {@code failure} ones; all of it in one log entry, so
 * every write of the transaction gets the same revision (the entry's index) and no reader sees half.
 *
 * <p>Within one branch a key may be written (put or delete) at most once: two writes of one key at
 * one revision have no order. The constructor refuses what could not be applied faithfully.
 * Wire format: see {@link TxnCodec}.
 */
public record TxnCommand(List<Compare> compare, List<Op> success, List<Op> failure, String idempotencyKey,
                         long proposedAtMillis) {

    /** The first byte of an encoded transaction; tells it apart from the other command families. */
    public static final byte FORMAT_TAG = (byte) 0x82;

    public TxnCommand {
        compare = List.copyOf(compare);
        success = List.copyOf(success);
        failure = List.copyOf(failure);
        requireDistinctWrites(success, "success");
        requireDistinctWrites(failure, "failure");
        if (idempotencyKey != null) {
            Utf8.requireWellFormed(idempotencyKey, "idempotencyKey");
        }
    }

    public enum Target { VALUE, MOD_REVISION, CREATE_REVISION, VERSION }

    public enum Operator { EQUAL, NOT_EQUAL, LESS, GREATER }

    /**
     * A comparison of one key's {@code target} with a number (revisions, version) or bytes (value).
     * An absent key has revisions and version 0 and no value: a value comparison with it is false
     * for every operator but {@code !=}, as in etcd.
     */
    public record Compare(String key, Target target, Operator op, long number, byte[] value) {
        public Compare {
            requireKey(key);
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(op, "op");
            if (target == Target.VALUE) {
                Objects.requireNonNull(value, "value");
            } else if (value != null) {
                throw new IllegalArgumentException("only a value comparison has a byte value");
            }
        }

        boolean holdsFor(KeyValue kv) {
            int c;
            if (target == Target.VALUE) {
                if (kv == null) {
                    return op == Operator.NOT_EQUAL;
                }
                c = Arrays.compareUnsigned(kv.value(), value);
            } else {
                long actual = kv == null ? 0 : switch (target) {
                    case MOD_REVISION -> kv.modRevision();
                    case CREATE_REVISION -> kv.createRevision();
                    case VERSION -> kv.version();
                    case VALUE -> throw new AssertionError();
                };
                c = Long.compare(actual, number);
            }
            return switch (op) {
                case EQUAL -> c == 0;
                case NOT_EQUAL -> c != 0;
                case LESS -> c < 0;
                case GREATER -> c > 0;
            };
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Compare c && c.key.equals(key) && c.target == target && c.op == op
                    && c.number == number && Arrays.equals(c.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, target, op, number, Arrays.hashCode(value));
        }
    }

    /** One operation of a branch. */
    public sealed interface Op {
        String key();
    }

    /** Creates or replaces a key; {@code lease} 0 for none, else the key is deleted with that lease. */
    public record Put(String key, byte[] value, String contentType, long lease) implements Op {
        public Put {
            requireKey(key);
            Objects.requireNonNull(value, "value");
            if (contentType != null) {
                Utf8.requireWellFormed(contentType, "contentType");
            }
            if (lease < 0) {
                throw new IllegalArgumentException("lease must not be negative");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && p.key.equals(key) && Arrays.equals(p.value, value)
                    && Objects.equals(p.contentType, contentType) && p.lease == lease;
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Arrays.hashCode(value), contentType, lease);
        }

        @Override
        public String toString() {
            return "Put[key=" + key + ", value=" + value.length + "B, contentType=" + contentType + ", lease=" + lease + "]";
        }
    }

    /** Removes a key if it exists. */
    public record Delete(String key) implements Op {
        public Delete {
            requireKey(key);
        }
    }

    /** Reads a key at the transaction's revision. */
    public record Get(String key) implements Op {
        public Get {
            requireKey(key);
        }
    }

    public byte[] encode() {
        return TxnCodec.encode(this);
    }

    /** @throws IllegalArgumentException saying what is wrong, for anything {@link #encode()} did not write */
    public static TxnCommand decode(byte[] data) {
        return TxnCodec.decode(data);
    }

    public static boolean isTxn(byte[] data) {
        return data != null && data.length > 0 && data[0] == FORMAT_TAG;
    }

    private static void requireDistinctWrites(List<Op> ops, String branch) {
        Set<String> written = new HashSet<>();
        for (Op op : ops) {
            if (!(op instanceof Get) && !written.add(op.key())) {
                throw new IllegalArgumentException("the " + branch + " branch writes the key '" + op.key()
                        + "' twice; a key may be written once per transaction");
            }
        }
    }

    static void requireKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        Utf8.requireWellFormed(key, "key");
    }
}
