package io.raftkv.kv;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A change to the leases, as it travels through the Raft log. Every one carries {@code term}, the
 * Raft term in which its proposer led; the state machine remembers the highest term it has applied
 * a lease command of and ignores an {@link Expire} from an older term, so a deposed leader whose
 * clock ran on while it was paused cannot expire what a newer leader keeps alive.
 *
 * <h2>Wire format</h2>
 * Big-endian: u8 {@link #FORMAT_TAG}, u8 kind (1 Grant, 2 KeepAlive, 3 Revoke, 4 Expire, 5 GrantWith),
 * long term, then Grant: long ttlMillis; KeepAlive, Revoke: long id; Expire: long id, long renewedAt;
 * GrantWith: long ttlMillis, then the transaction as {@link TxnCodec} encodes it, to the end.
 * Nothing may follow the last field.
 */
public sealed interface LeaseCommand {
    byte FORMAT_TAG = (byte) 0x83;
    /** Longer than any sensible TTL and small enough that deadlines in nanoseconds never overflow. */
    long MAX_TTL_MILLIS = 365L * 24 * 3600 * 1000;

    long term();

    /** A new lease of {@code ttlMillis}; its id is the grant's log index. */
    record Grant(long term, long ttlMillis) implements LeaseCommand {
        public Grant {
            requireTtl(ttlMillis);
        }
    }

    /**
     * {@code PUT /kv/{key}?ttl=...} as one entry: runs {@code txn}, and if its comparisons hold, grants a
     * lease of {@code ttlMillis} (its id is this entry's log index, the same on every replica) and
     * attaches the puts of the success branch to it. A failed comparison grants nothing, and so does a
     * replay of the transaction's idempotency key, which answers what the first one did.
     */
    record GrantWith(long term, long ttlMillis, TxnCommand txn) implements LeaseCommand {
        public GrantWith {
            requireTtl(ttlMillis);
            java.util.Objects.requireNonNull(txn, "txn");
            for (TxnCommand.Op op : txn.success()) {
                if (op instanceof TxnCommand.Put p && p.lease() != 0) {
                    throw new IllegalArgumentException("a put of a lease-granting transaction belongs to the lease it grants, not to lease " + p.lease());
                }
            }
        }
    }

    /** Renews lease {@code id} for another TTL. */
    record KeepAlive(long term, long id) implements LeaseCommand {
    }

    /** Ends lease {@code id} at the client's request and deletes its keys. */
    record Revoke(long term, long id) implements LeaseCommand {
    }

    /**
     * Ends lease {@code id} because the leader's clock says its TTL ran out since the renewal at
     * {@code renewedAt} (the revision of the grant or keepalive the leader timed). Ignored if the
     * lease was renewed after that, or if a lease command of a newer term has been applied.
     */
    record Expire(long term, long id, long renewedAt) implements LeaseCommand {
    }

    private static void requireTtl(long ttlMillis) {
        if (ttlMillis < 1 || ttlMillis > MAX_TTL_MILLIS) {
            throw new IllegalArgumentException("a lease's TTL is from 1 ms to " + MAX_TTL_MILLIS + " ms, not " + ttlMillis);
        }
    }

    static boolean isLease(byte[] data) {
        return data != null && data.length > 0 && data[0] == FORMAT_TAG;
    }

    default byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_TAG);
            if (this instanceof Grant g) {
                out.writeByte(1);
                out.writeLong(term());
                out.writeLong(g.ttlMillis());
            } else if (this instanceof KeepAlive k) {
                out.writeByte(2);
                out.writeLong(term());
                out.writeLong(k.id());
            } else if (this instanceof Revoke r) {
                out.writeByte(3);
                out.writeLong(term());
                out.writeLong(r.id());
            } else if (this instanceof Expire x) {
                out.writeByte(4);
                out.writeLong(term());
                out.writeLong(x.id());
                out.writeLong(x.renewedAt());
            } else if (this instanceof GrantWith g) {
                out.writeByte(5);
                out.writeLong(term());
                out.writeLong(g.ttlMillis());
                out.write(g.txn().encode());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array stream does not fail", e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException saying what is wrong, for anything {@link #encode()} did not write */
    static LeaseCommand decode(byte[] data) {
        if (!isLease(data)) {
            throw new IllegalArgumentException("not a lease command: it does not start with 0x83");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 1, data.length - 1));
        try {
            int kind = in.readUnsignedByte();
            long term = in.readLong();
            LeaseCommand cmd = switch (kind) {
                case 1 -> new Grant(term, in.readLong());
                case 2 -> new KeepAlive(term, in.readLong());
                case 3 -> new Revoke(term, in.readLong());
                case 4 -> new Expire(term, in.readLong(), in.readLong());
                case 5 -> new GrantWith(term, in.readLong(), TxnCommand.decode(in.readAllBytes()));
                default -> throw new IllegalArgumentException("corrupt lease command: unknown kind " + kind);
            };
            if (in.available() != 0) {
                throw new IllegalArgumentException("corrupt lease command: " + in.available() + " bytes after the last field");
            }
            return cmd;
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt lease command: truncated", e);
        }
    }
}
