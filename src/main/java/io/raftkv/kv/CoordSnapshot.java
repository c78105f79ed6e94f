package io.raftkv.kv;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static io.raftkv.kv.KvSnapshotCodec.corrupt;
import static io.raftkv.kv.KvSnapshotCodec.readString;
import static io.raftkv.kv.KvSnapshotCodec.writeString;

/**
 * The parts of snapshot format version 3 that coordination added (see {@link KvSnapshotCodec}):
 * <pre>
 * leases: long highestTerm, int n, then per lease in id order:
 *           long id, long ttlMillis, long renewedAt, int k, k x string key (code point order)
 * results: 6 TxnDone (u8 succeeded, long revision, int n, n x op result),
 *          7 LeaseAlive (long id, long ttlMillis), 8 LeaseEnded (long id, long revision, int keys),
 *          9 LeaseNotFound (long id), 10 Refused (string reason)
 * op result: u8 1 put (string key, u8 created), 2 delete (string key, u8 deleted),
 *            3 get (string key, u8 present, then as a snapshot's key: bytes value, optstring contentType,
 *            long createRevision, long modRevision, long version)
 * </pre>
 */
final class CoordSnapshot {
    private static final int TAG_TXN = 6;
    private static final int TAG_LEASE_ALIVE = 7;
    private static final int TAG_LEASE_ENDED = 8;
    private static final int TAG_LEASE_NOT_FOUND = 9;
    private static final int TAG_REFUSED = 10;

    private CoordSnapshot() {
    }

    static boolean isCoordResult(WriteResult r) {
        return r instanceof WriteResult.TxnDone || r instanceof WriteResult.LeaseAlive
                || r instanceof WriteResult.LeaseEnded || r instanceof WriteResult.LeaseNotFound
                || r instanceof WriteResult.Refused;
    }

    static void writeLeases(DataOutputStream out, Leases leases) throws IOException {
        out.writeLong(leases.highestTerm());
        List<Leases.Lease> all = leases.all();
        out.writeInt(all.size());
        for (Leases.Lease l : all) {
            out.writeLong(l.id());
            out.writeLong(l.ttlMillis());
            out.writeLong(l.renewedAt());
            out.writeInt(l.keys().size());
            for (String k : l.keys()) {
                writeString(out, k);
            }
        }
    }

    static Leases readLeases(DataInputStream in, Keyspace keyspace) throws IOException {
        Leases leases = new Leases();
        leases.restoreTerm(in.readLong());
        int n = in.readInt();
        if (n < 0) {
            throw corrupt("negative lease count " + n);
        }
        long previous = 0;
        for (int i = 0; i < n; i++) {
            long id = in.readLong();
            long ttl = in.readLong();
            long renewedAt = in.readLong();
            if (id <= previous || ttl < 1 || ttl > LeaseCommand.MAX_TTL_MILLIS || renewedAt < id) {
                throw corrupt("impossible lease #" + i + ": id " + id + ", ttl " + ttl + ", renewed at " + renewedAt);
            }
            int k = in.readInt();
            if (k < 0 || k > keyspace.keyCount) {
                throw corrupt("impossible key count " + k + " of lease " + id);
            }
            List<String> keys = new ArrayList<>(k);
            for (int j = 0; j < k; j++) {
                String key = readString(in, "lease key");
                if (!keyspace.map.containsKey(key)) {
                    throw corrupt("lease " + id + " holds the key '" + key + "', which does not exist");
                }
                keys.add(key);
            }
            leases.restore(id, ttl, renewedAt, keys);
            previous = id;
        }
        return leases;
    }

    static void writeResult(DataOutputStream out, WriteResult r) throws IOException {
        if (r instanceof WriteResult.TxnDone t) {
            out.writeByte(TAG_TXN);
            out.writeBoolean(t.succeeded());
            out.writeLong(t.revision());
            out.writeInt(t.results().size());
            for (WriteResult.OpResult o : t.results()) {
                writeOpResult(out, o);
            }
        } else if (r instanceof WriteResult.LeaseAlive a) {
            out.writeByte(TAG_LEASE_ALIVE);
            out.writeLong(a.id());
            out.writeLong(a.ttlMillis());
        } else if (r instanceof WriteResult.LeaseEnded e) {
            out.writeByte(TAG_LEASE_ENDED);
            out.writeLong(e.id());
            out.writeLong(e.revision());
            out.writeInt(e.deletedKeys());
        } else if (r instanceof WriteResult.LeaseNotFound nf) {
            out.writeByte(TAG_LEASE_NOT_FOUND);
            out.writeLong(nf.id());
        } else if (r instanceof WriteResult.Refused refused) {
            out.writeByte(TAG_REFUSED);
            writeString(out, refused.reason());
        } else {
            throw new AssertionError(r);
        }
    }

    static WriteResult readResult(DataInputStream in, int tag) throws IOException {
        return switch (tag) {
            case TAG_TXN -> {
                boolean succeeded = readBoolean(in);
                long revision = in.readLong();
                int n = in.readInt();
                if (n < 0) {
                    throw corrupt("negative operation count " + n);
                }
                List<WriteResult.OpResult> results = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    results.add(readOpResult(in));
                }
                yield new WriteResult.TxnDone(succeeded, revision, results);
            }
            case TAG_LEASE_ALIVE -> new WriteResult.LeaseAlive(in.readLong(), in.readLong());
            case TAG_LEASE_ENDED -> new WriteResult.LeaseEnded(in.readLong(), in.readLong(), in.readInt());
            case TAG_LEASE_NOT_FOUND -> new WriteResult.LeaseNotFound(in.readLong());
            case TAG_REFUSED -> new WriteResult.Refused(readString(in, "refusal"));
            default -> throw corrupt("unknown write result tag " + tag);
        };
    }

    private static void writeOpResult(DataOutputStream out, WriteResult.OpResult o) throws IOException {
        if (o instanceof WriteResult.PutDone p) {
            out.writeByte(1);
            writeString(out, p.key());
            out.writeBoolean(p.created());
        } else if (o instanceof WriteResult.DeleteDone d) {
            out.writeByte(2);
            writeString(out, d.key());
            out.writeBoolean(d.deleted());
        } else if (o instanceof WriteResult.GetDone g) {
            out.writeByte(3);
            writeString(out, g.key());
            out.writeBoolean(g.kv() != null);
            if (g.kv() != null) {
                KvSnapshotCodec.writeState(out, g.kv());
            }
        }
    }

    private static WriteResult.OpResult readOpResult(DataInputStream in) throws IOException {
        int kind = in.readUnsignedByte();
        String key = readString(in, "operation key");
        return switch (kind) {
            case 1 -> new WriteResult.PutDone(key, readBoolean(in));
            case 2 -> new WriteResult.DeleteDone(key, readBoolean(in));
            case 3 -> new WriteResult.GetDone(key, readBoolean(in) ? KvSnapshotCodec.readState(in, key) : null);
            default -> throw corrupt("unknown operation result kind " + kind);
        };
    }

    private static boolean readBoolean(DataInputStream in) throws IOException {
        int b = in.readUnsignedByte();
        if (b > 1) {
            throw corrupt("bad boolean " + b);
        }
        return b == 1;
    }
}
