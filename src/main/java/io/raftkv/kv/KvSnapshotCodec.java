package io.raftkv.kv;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The state machine's snapshot format. Streaming both ways: nothing is held in memory but the state
 * itself. Two machines with the same state write the same bytes (keys in code point order, the
 * idempotency table in insertion order, no timestamps or hash orders).
 *
 * <h2>Format version 3</h2>
 * Version 2 followed by the leases, before the checksum, as {@link CoordSnapshot} writes them; the
 * idempotency results may also be transactions' and lease commands' (tags 6 to 9, see there).
 * Written only when there are leases or such results, so that older nodes can still install the rest.
 *
 * <h2>Format version 2</h2>
 * Version 1 followed by the roles and tokens, before the checksum:
 * <pre>
 * int    number of roles, then per role in name order:
 *          string name, int number of permissions, then per permission: string prefix, u8 access (1 read, 2 write, 3 readwrite)
 * int    number of tokens, then per token in name order:
 *          string name, 32 bytes SHA-256 of the secret, int number of roles, then per role: string name
 * </pre>
 * Version 1 snapshots (written before auth existed) are still read, with no roles and no tokens; and
 * a state without roles and tokens is still written as version 1, so that older nodes can install it.
 *
 * <h2>Format version 1</h2>
 * All integers big-endian ({@link DataOutputStream}).
 * <pre>
 * int    magic 0x52464B56 ("RFKV")
 * u8     format version (1)
 * long   appliedIndex
 * long   number of keys, then per key in code point order:
 *          string key, bytes value, optstring contentType, long createRevision, long modRevision, long version
 * long   idempotency clock (Long.MIN_VALUE: no command seen yet)
 * int    number of idempotency entries, then per entry, oldest first:
 *          string idempotencyKey, long rememberedAt, 32 bytes SHA-256 fingerprint, result
 * int    CRC-32C of every byte above
 * </pre>
 * {@code string}/{@code bytes}: int length then the UTF-8 bytes / raw bytes; {@code optstring}: length -1 for null.
 * {@code result}: u8 tag, then 1 Written (long revision, u8 created), 2 Deleted (long revision),
 * 3 NotFound, 4 PreconditionFailed (long currentRevision), 5 IdempotencyKeyReused.
 */
final class KvSnapshotCodec {
    static final int MAGIC = 0x52464B56;
    static final int FORMAT_VERSION_WITH_LEASES = 3;
    static final int FORMAT_VERSION = 2;
    static final int FORMAT_VERSION_WITHOUT_AUTH = 1;
    static final int FINGERPRINT_BYTES = 32;

    private static final int TAG_WRITTEN = 1;
    private static final int TAG_DELETED = 2;
    private static final int TAG_NOT_FOUND = 3;
    private static final int TAG_PRECONDITION_FAILED = 4;
    private static final int TAG_REUSED = 5;

    /** A fully built state, ready to be swapped in. */
    record Restored(long appliedIndex, Keyspace keyspace, IdempotencyTable idempotency, AuthState auth, Leases leases) {
    }

    private KvSnapshotCodec() {
    }

    static void write(OutputStream target, long appliedIndex, Keyspace keyspace, IdempotencyTable idempotency,
                      AuthState auth, Leases leases) throws IOException {
        capture(appliedIndex, keyspace, idempotency, auth, leases).writeTo(target);
    }

    /**
     * The state as it is now, to be written later by any thread: the keys as the array of their
     * immutable {@link KeyValue}s (references, not copies of the data), the rest (idempotency
     * records, roles and tokens, leases: small and bounded) encoded now. Apply thread only.
     */
    static KvStateMachine.Image capture(long appliedIndex, Keyspace keyspace, IdempotencyTable idempotency,
                                        AuthState auth, Leases leases) throws IOException {
        // Without roles or tokens the image is exactly version 1, which nodes from before auth can
        // still install during a rolling upgrade. Replicas with the same state still agree byte for byte.
        boolean withLeases = !leases.isEmpty() || idempotency.entries().stream()
                .anyMatch(e -> CoordSnapshot.isCoordResult(e.getValue().result()));
        boolean withAuth = withLeases || !auth.isEmpty();
        int version = withLeases ? FORMAT_VERSION_WITH_LEASES : withAuth ? FORMAT_VERSION : FORMAT_VERSION_WITHOUT_AUTH;
        // The apply thread is the only writer and it is here, so the map cannot change under us.
        KeyValue[] keys = keyspace.map.values().toArray(new KeyValue[0]);
        if (keys.length != keyspace.keyCount) {
            throw new IllegalStateException("key count " + keyspace.keyCount + " but " + keys.length
                    + " keys captured: a snapshot must be captured on the apply thread");
        }
        java.io.ByteArrayOutputStream restBytes = new java.io.ByteArrayOutputStream();
        DataOutputStream rest = new DataOutputStream(restBytes);
        rest.writeLong(idempotency.clock());
        rest.writeInt(idempotency.entries().size());
        for (Map.Entry<String, IdempotencyTable.Outcome> e : idempotency.entries()) {
            IdempotencyTable.Outcome o = e.getValue();
            writeString(rest, e.getKey());
            rest.writeLong(o.rememberedAt());
            rest.write(o.fingerprint());
            writeResult(rest, o.result());
        }
        if (withAuth) {
            writeAuth(rest, auth);
        }
        if (withLeases) {
            CoordSnapshot.writeLeases(rest, leases);
        }
        rest.flush();
        byte[] tail = restBytes.toByteArray();
        return target -> {
            CRC32C crc = new CRC32C();
            DataOutputStream out = new DataOutputStream(
                    new BufferedOutputStream(new CheckedOutputStream(target, crc), 1 << 16));
            out.writeInt(MAGIC);
            out.writeByte(version);
            out.writeLong(appliedIndex);
            out.writeLong(keys.length);
            for (KeyValue kv : keys) {
                writeString(out, kv.key());
                writeState(out, kv);
            }
            out.write(tail);
            out.flush();
            out.writeInt((int) crc.getValue());
            out.flush();
        };
    }

    static Restored read(InputStream source, IdempotencyPolicy policy) throws IOException {
        CRC32C crc = new CRC32C();
        DataInputStream in = new DataInputStream(
                new CheckedInputStream(new BufferedInputStream(source, 1 << 16), crc));
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new IOException("not a raftkv key-value snapshot: it is shorter than its 4-byte magic number", e);
        }
        if (magic != MAGIC) {
            throw new IOException(String.format(
                    "not a raftkv key-value snapshot: magic number 0x%08X, expected 0x%08X", magic, MAGIC));
        }
        try {
            int version = in.readUnsignedByte();
            if (version < FORMAT_VERSION_WITHOUT_AUTH || version > FORMAT_VERSION_WITH_LEASES) {
                throw new IOException("unsupported key-value snapshot format version " + version
                        + " (this node understands versions " + FORMAT_VERSION_WITHOUT_AUTH + " to " + FORMAT_VERSION_WITH_LEASES + ")");
            }
            return readBody(in, crc, policy, version);
        } catch (EOFException e) {
            throw new IOException("key-value snapshot is truncated", e);
        }
    }

    private static Restored readBody(DataInputStream in, CRC32C crc, IdempotencyPolicy policy, int formatVersion)
            throws IOException {
        long appliedIndex = in.readLong();
        if (appliedIndex < 0) {
            throw corrupt("negative appliedIndex " + appliedIndex);
        }
        long keyCount = in.readLong();
        if (keyCount < 0) {
            throw corrupt("negative key count " + keyCount);
        }
        Keyspace keyspace = new Keyspace();
        String previousKey = null;
        for (long i = 0; i < keyCount; i++) {
            String key = readString(in, "key");
            if (key.isEmpty()) {
                throw corrupt("empty key");
            }
            if (previousKey != null && Utf8.compareCodePoints(previousKey, key) >= 0) {
                throw corrupt("keys out of order at key #" + i);
            }
            KeyValue kv = readState(in, key);
            if (kv.createRevision() < 1 || kv.modRevision() < kv.createRevision() || kv.modRevision() > appliedIndex
                    || kv.version() < 1) {
                throw corrupt("impossible revisions for key #" + i + ": create " + kv.createRevision() + ", mod "
                        + kv.modRevision() + ", version " + kv.version() + ", applied index " + appliedIndex);
            }
            keyspace.put(null, kv);
            previousKey = key;
        }

        IdempotencyTable table = new IdempotencyTable(policy);
        long clock = in.readLong();
        table.restoreClock(clock);
        int entries = in.readInt();
        if (entries < 0) {
            throw corrupt("negative idempotency entry count " + entries);
        }
        long previousStamp = Long.MIN_VALUE;
        HashSet<String> seen = new HashSet<>();
        for (int i = 0; i < entries; i++) {
            String key = readString(in, "idempotency key");
            long rememberedAt = in.readLong();
            if (rememberedAt < previousStamp || rememberedAt > clock) {
                throw corrupt("idempotency entry #" + i + " is stamped " + rememberedAt + ", out of order or after the clock " + clock);
            }
            byte[] fingerprint = new byte[FINGERPRINT_BYTES];
            in.readFully(fingerprint);
            WriteResult result = readResult(in);
            if (!seen.add(key)) {
                throw corrupt("idempotency key #" + i + " appears twice");
            }
            table.restoreEntry(key, new IdempotencyTable.Outcome(fingerprint, result, rememberedAt));
            previousStamp = rememberedAt;
        }
        AuthState auth = formatVersion >= 2 ? readAuth(in) : AuthState.EMPTY;
        Leases leases = formatVersion >= 3 ? CoordSnapshot.readLeases(in, keyspace) : new Leases();

        int expected = (int) crc.getValue();
        int actual = in.readInt();
        if (actual != expected) {
            throw corrupt(String.format("checksum mismatch (stored 0x%08X, computed 0x%08X)", actual, expected));
        }
        if (in.read() != -1) {
            throw corrupt("unexpected bytes after the checksum");
        }
        return new Restored(appliedIndex, keyspace, table, auth, leases);
    }

    private static void writeAuth(DataOutputStream out, AuthState auth) throws IOException {
        List<Role> roles = auth.roles();
        out.writeInt(roles.size());
        for (Role r : roles) {
            writeString(out, r.name());
            out.writeInt(r.permissions().size());
            for (Permission p : r.permissions()) {
                writeString(out, p.prefix());
                out.writeByte(p.access().ordinal() + 1);
            }
        }
        List<AuthState.StoredToken> tokens = auth.tokens();
        out.writeInt(tokens.size());
        for (AuthState.StoredToken t : tokens) {
            writeString(out, t.name());
            out.write(t.hash());
            out.writeInt(t.roles().size());
            for (String r : t.roles()) {
                writeString(out, r);
            }
        }
    }

    private static AuthState readAuth(DataInputStream in) throws IOException {
        int roleCount = in.readInt();
        if (roleCount < 0 || roleCount > AuthNames.MAX_ROLES) {
            throw corrupt("impossible role count " + roleCount);
        }
        List<Role> roles = new ArrayList<>(roleCount);
        Set<String> roleNames = new HashSet<>();
        for (int i = 0; i < roleCount; i++) {
            String name = readString(in, "role name");
            int n = in.readInt();
            if (n < 0 || n > AuthNames.MAX_PERMISSIONS) {
                throw corrupt("impossible permission count " + n + " in role #" + i);
            }
            List<Permission> perms = new ArrayList<>(n);
            for (int j = 0; j < n; j++) {
                String prefix = readString(in, "permission prefix");
                int access = in.readUnsignedByte();
                if (access < 1 || access > Access.values().length) {
                    throw corrupt("unknown access " + access + " in role #" + i);
                }
                perms.add(new Permission(prefix, Access.values()[access - 1]));
            }
            if (!AuthNames.isValid(name) || !roleNames.add(name)) {
                throw corrupt("role #" + i + " has a bad or repeated name");
            }
            roles.add(new Role(name, perms));
        }
        int tokenCount = in.readInt();
        if (tokenCount < 0 || tokenCount > AuthNames.MAX_TOKENS) {
            throw corrupt("impossible token count " + tokenCount);
        }
        List<AuthState.StoredToken> tokens = new ArrayList<>(tokenCount);
        Set<String> tokenNames = new HashSet<>();
        for (int i = 0; i < tokenCount; i++) {
            String name = readString(in, "token name");
            byte[] hash = new byte[AuthCommand.HASH_BYTES];
            in.readFully(hash);
            int n = in.readInt();
            if (n < 0 || n > AuthNames.MAX_ROLES_PER_TOKEN) {
                throw corrupt("impossible role count " + n + " in token #" + i);
            }
            List<String> tokenRoles = new ArrayList<>(n);
            for (int j = 0; j < n; j++) {
                String r = readString(in, "token role");
                if (!roleNames.contains(r)) {
                    throw corrupt("token #" + i + " has the unknown role '" + r + "'");
                }
                tokenRoles.add(r);
            }
            if (!AuthNames.isValid(name) || !tokenNames.add(name)) {
                throw corrupt("token #" + i + " has a bad or repeated name");
            }
            tokens.add(new AuthState.StoredToken(name, hash, tokenRoles));
        }
        return AuthState.of(roles, tokens);
    }

    /** Everything of a key but its name: bytes value, optstring contentType, long createRevision, modRevision, version. */
    static void writeState(DataOutputStream out, KeyValue kv) throws IOException {
        out.writeInt(kv.value().length);
        out.write(kv.value());
        if (kv.contentType() == null) {
            out.writeInt(-1);
        } else {
            writeString(out, kv.contentType());
        }
        out.writeLong(kv.createRevision());
        out.writeLong(kv.modRevision());
        out.writeLong(kv.version());
    }

    static KeyValue readState(DataInputStream in, String key) throws IOException {
        byte[] value = readBytes(in, in.readInt(), "value");
        int ctLength = in.readInt();
        String contentType = ctLength == -1 ? null : readString(in, ctLength, "contentType");
        return new KeyValue(key, value, contentType, in.readLong(), in.readLong(), in.readLong());
    }

    static IOException corrupt(String what) {
        return new IOException("key-value snapshot is corrupt: " + what);
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = Utf8.encode(s);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInputStream in, String what) throws IOException {
        return readString(in, in.readInt(), what);
    }

    private static String readString(DataInputStream in, int length, String what) throws IOException {
        byte[] b = readBytes(in, length, what);
        try {
            return Utf8.decode(b, 0, b.length);
        } catch (CharacterCodingException e) {
            throw corrupt(what + " is not valid UTF-8");
        }
    }

    static byte[] readBytes(DataInputStream in, int length, String what) throws IOException {
        if (length < 0) {
            throw corrupt("negative " + what + " length " + length);
        }
        // readNBytes grows its buffer as data arrives, so a corrupt huge length cannot allocate it all up front.
        byte[] b = in.readNBytes(length);
        if (b.length != length) {
            throw new EOFException(what + " needs " + length + " bytes, only " + b.length + " left");
        }
        return b;
    }

    private static void writeResult(DataOutputStream out, WriteResult r) throws IOException {
        if (r instanceof WriteResult.Written w) {
            out.writeByte(TAG_WRITTEN);
            out.writeLong(w.revision());
            out.writeBoolean(w.created());
        } else if (r instanceof WriteResult.Deleted d) {
            out.writeByte(TAG_DELETED);
            out.writeLong(d.revision());
        } else if (r instanceof WriteResult.NotFound) {
            out.writeByte(TAG_NOT_FOUND);
        } else if (r instanceof WriteResult.PreconditionFailed p) {
            out.writeByte(TAG_PRECONDITION_FAILED);
            out.writeLong(p.currentRevision());
        } else if (r instanceof WriteResult.IdempotencyKeyReused) {
            out.writeByte(TAG_REUSED);
        } else if (CoordSnapshot.isCoordResult(r)) {
            CoordSnapshot.writeResult(out, r);
        } else {
            throw new AssertionError(r);
        }
    }

    private static WriteResult readResult(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case TAG_WRITTEN -> {
                long revision = in.readLong();
                int created = in.readUnsignedByte();
                if (created > 1) {
                    throw corrupt("bad boolean " + created);
                }
                yield new WriteResult.Written(revision, created == 1);
            }
            case TAG_DELETED -> new WriteResult.Deleted(in.readLong());
            case TAG_NOT_FOUND -> WriteResult.NOT_FOUND;
            case TAG_PRECONDITION_FAILED -> new WriteResult.PreconditionFailed(in.readLong());
            case TAG_REUSED -> WriteResult.IDEMPOTENCY_KEY_REUSED;
            default -> CoordSnapshot.readResult(in, tag);
        };
    }
}
