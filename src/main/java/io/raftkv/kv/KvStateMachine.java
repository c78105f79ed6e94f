package io.raftkv.kv;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;

/**
 * The replicated key-value state machine: the key space, revisions, conditional writes, the
 * idempotency table and snapshots.
 *
 * <h2>Threads</h2>
 * One apply thread calls {@link #apply}, {@link #skip}, {@link #writeSnapshot} and {@link #restore},
 * with committed log entries in index order. Any thread may call {@link #get}, {@link #list},
 * {@link #appliedIndex}, {@link #keyCount}, {@link #dataBytes} and {@link #idempotencyKeyCount}; they
 * never block the apply thread. The keys live in a {@link java.util.concurrent.ConcurrentSkipListMap}
 * of immutable {@link KeyValue}s, so a reader sees each key either before or after a write, never
 * half of it. {@link #appliedIndex()} is published after the write it covers, so a reader that
 * sees {@code appliedIndex() >= i} also sees every write up to {@code i}.
 *
 * <h2>Determinism</h2>
 * The outcome of {@link #apply} depends only on the state and its arguments: revisions are log
 * indexes and the idempotency table's clock is made of the commands' own {@code proposedAtMillis}.
 * Replicas that apply the same entries hold the same state and write byte-identical snapshots,
 * provided they use the same {@link IdempotencyPolicy}.
 *
 * <h2>Values</h2>
 * {@link #apply} copies a PUT's value, so the caller may reuse its array. The arrays in returned
 * {@link KeyValue}s are shared with the store and must not be modified (see {@link KeyValue}).
 */
public final class KvStateMachine {

    private final IdempotencyPolicy policy;
    private final MessageDigest sha256;

    private volatile Keyspace keyspace = new Keyspace();
    /** Used by the apply thread; volatile only so that {@link #idempotencyKeyCount()} sees a restore. */
    private volatile IdempotencyTable idempotency;
    private volatile long appliedIndex;
    /** Roles and tokens; replaced as a whole, so any thread reads one consistent version. */
    private volatile AuthState auth = AuthState.EMPTY;

    public KvStateMachine(IdempotencyPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.idempotency = new IdempotencyTable(policy);
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** With {@link IdempotencyPolicy#defaults()}. */
    public KvStateMachine() {
        this(IdempotencyPolicy.defaults());
    }

    /**
     * Applies the committed command at log {@code index}. Apply thread only.
     *
     * @return what happened; with an idempotency key already used by the same request, the result
     *         remembered from the first time, and nothing changes
     * @throws IllegalStateException if {@code index <= appliedIndex()}
     */
    public WriteResult apply(long index, KvCommand cmd) {
        Objects.requireNonNull(cmd, "cmd");
        requireAfterApplied(index);
        IdempotencyTable table = idempotency;
        table.observe(cmd.proposedAtMillis());
        WriteResult result;
        String idempotencyKey = cmd.idempotencyKey();
        if (idempotencyKey == null) {
            result = execute(index, cmd);
        } else {
            byte[] fingerprint = fingerprint(cmd);
            WriteResult remembered = table.lookup(idempotencyKey, fingerprint);
            if (remembered != null) {
                result = remembered;
            } else {
                result = execute(index, cmd);
                table.remember(idempotencyKey, fingerprint, result);
            }
        }
        appliedIndex = index;
        return result;
    }

    /**
     * Applies a committed command entry as it is stored in the log: a {@link KvCommand} or an
     * {@link AuthCommand}, told apart by the first byte. Apply thread only.
     *
     * @throws IllegalArgumentException if the data is neither
     */
    public WriteResult apply(long index, byte[] entryData) {
        if (AuthCommand.isAuthCommand(entryData)) {
            return apply(index, AuthCommand.decode(entryData));
        }
        return apply(index, KvCommand.decode(entryData));
    }

    /** Applies a committed change to the roles and tokens. Apply thread only. */
    public WriteResult apply(long index, AuthCommand cmd) {
        Objects.requireNonNull(cmd, "cmd");
        requireAfterApplied(index);
        AuthState.Applied applied = auth.apply(index, cmd);
        auth = applied.state();
        appliedIndex = index;
        return applied.result();
    }

    /** The roles and tokens as applied here. Any thread; the returned value never changes. */
    public AuthState auth() {
        return auth;
    }

    /** Records a log entry that is not a command (a leader's no-op, a membership change). Apply thread only. */
    public void skip(long index) {
        requireAfterApplied(index);
        appliedIndex = index;
    }

    private void requireAfterApplied(long index) {
        long applied = appliedIndex;
        if (index <= applied) {
            throw new IllegalStateException("cannot apply log index " + index + ": index " + applied
                    + " is already applied and indexes must increase");
        }
    }

    private WriteResult execute(long index, KvCommand cmd) {
        Keyspace ks = keyspace;
        String key = cmd.key();
        KeyValue current = ks.map.get(key);
        if (!cmd.precondition().holdsFor(current)) {
            return new WriteResult.PreconditionFailed(current == null ? 0 : current.modRevision());
        }
        if (cmd instanceof KvCommand.Put put) {
            byte[] value = put.value().clone();
            KeyValue next = current == null
                    ? new KeyValue(key, value, put.contentType(), index, index, 1)
                    : new KeyValue(key, value, put.contentType(), current.createRevision(), index, current.version() + 1);
            ks.put(current, next);
            return new WriteResult.Written(index, current == null);
        }
        if (current == null) {
            return WriteResult.NOT_FOUND;
        }
        ks.remove(current);
        return new WriteResult.Deleted(index);
    }

    /**
     * A SHA-256 over everything that makes a request what it is: kind, key, value, content type and
     * precondition; not the idempotency key (it is the table's key) and not {@code proposedAtMillis}
     * (a retry is proposed later). Every field is length-prefixed or tagged, so no two different
     * requests feed the digest the same bytes.
     */
    private byte[] fingerprint(KvCommand cmd) {
        MessageDigest d = sha256;
        d.reset();
        ByteBuffer header = ByteBuffer.allocate(32);
        byte[] key = Utf8.encode(cmd.key());
        if (cmd instanceof KvCommand.Put put) {
            header.put((byte) KvCommandCodec.KIND_PUT).putInt(key.length);
            d.update(header.array(), 0, header.position());
            d.update(key);
            header.clear().putInt(put.value().length);
            d.update(header.array(), 0, header.position());
            d.update(put.value());
            if (put.contentType() == null) {
                d.update((byte) 0);
            } else {
                byte[] ct = Utf8.encode(put.contentType());
                header.clear().put((byte) 1).putInt(ct.length);
                d.update(header.array(), 0, header.position());
                d.update(ct);
            }
        } else {
            header.put((byte) KvCommandCodec.KIND_DELETE).putInt(key.length);
            d.update(header.array(), 0, header.position());
            d.update(key);
        }
        header.clear().put((byte) KvCommandCodec.preconditionTag(cmd.precondition()));
        if (cmd.precondition() instanceof Precondition.Revision r) {
            header.putLong(r.revision());
        }
        d.update(header.array(), 0, header.position());
        return d.digest();
    }

    /** The index of the last entry applied or skipped (or restored from a snapshot). Any thread. */
    public long appliedIndex() {
        return appliedIndex;
    }

    /** The key's current value, if it exists. Any thread. The value array must not be modified. */
    public Optional<KeyValue> get(String key) {
        Objects.requireNonNull(key, "key");
        return Optional.ofNullable(keyspace.map.get(key));
    }

    /**
     * Up to {@code limit} keys that start with {@code prefix}, strictly after {@code startAfter}, in
     * code point order (the same as UTF-8 byte order). Any thread.
     *
     * <p>A page is read while the apply thread may be writing, without stopping it: each item is a
     * whole, committed version no older than {@link #appliedIndex()} was when the call began, but
     * writes applied during the call may be visible for some keys of the page and not others.
     *
     * @param prefix     null or "" for all keys
     * @param startAfter null to start at the first key; otherwise the previous page's {@link Page#nextStartAfter()}
     * @param limit      at least 1
     */
    public Page list(String prefix, String startAfter, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        String p = prefix == null ? "" : Utf8.requireWellFormed(prefix, "prefix");
        NavigableMap<String, KeyValue> map = keyspace.map;
        // Every key with the prefix sorts at or after the prefix itself, and they are contiguous.
        NavigableMap<String, KeyValue> tail = startAfter != null && Utf8.compareCodePoints(startAfter, p) >= 0
                ? map.tailMap(startAfter, false)
                : map.tailMap(p, true);
        List<KeyValue> items = new ArrayList<>(Math.min(limit, 256));
        String nextStartAfter = null;
        Iterator<KeyValue> it = tail.values().iterator();
        while (it.hasNext()) {
            KeyValue kv = it.next();
            if (!kv.key().startsWith(p)) {
                break;
            }
            if (items.size() == limit) {
                nextStartAfter = items.get(limit - 1).key();
                break;
            }
            items.add(kv);
        }
        return new Page(items, nextStartAfter);
    }

    /** The number of keys. Any thread. */
    public long keyCount() {
        return keyspace.keyCount;
    }

    /** The UTF-8 bytes of all keys plus the bytes of all values, for metrics. Any thread. */
    public long dataBytes() {
        return keyspace.dataBytes;
    }

    /**
     * Heap bytes one remembered idempotency outcome may cost, rounded up: a key of up to 255 ASCII
     * characters as a String (~295), the 32-byte fingerprint array (48), the outcome record (24),
     * the result (~32) and the linked hash map entry (~40).
     */
    public static final long IDEMPOTENCY_ENTRY_COST = 512;

    /**
     * What the data held here costs against the store quota: every key's {@link #entryCost} plus
     * {@link #IDEMPOTENCY_ENTRY_COST} per remembered outcome. Never less than the heap it stands for,
     * so a quota on it bounds the heap. Any thread.
     */
    public long storedBytes() {
        return keyspace.accountedBytes + idempotency.size() * IDEMPOTENCY_ENTRY_COST;
    }

    /** What a key with this value and content type costs against the store quota (see {@link #storedBytes}). */
    public static long entryCost(String key, int valueLength, String contentType) {
        return Keyspace.cost(key, valueLength, contentType);
    }

    /** How many idempotency outcomes are remembered, for metrics. Any thread. */
    public int idempotencyKeyCount() {
        return idempotency.size();
    }

    /**
     * Streams a consistent image of the state at {@link #appliedIndex()} to {@code out}, in the format
     * described in {@code KvSnapshotCodec}. Apply thread only (that is what keeps it consistent).
     * Flushes but does not close {@code out}.
     */
    public void writeSnapshot(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        KvSnapshotCodec.write(out, appliedIndex, keyspace, idempotency, auth);
    }

    /**
     * Replaces all state with the snapshot read from {@code in}; {@link #appliedIndex()} becomes the
     * snapshot's. The new state is built and checked completely (magic number, version, structure,
     * checksum) before it replaces the old one, so on any exception the old state is left as it was.
     * Apply thread only. Does not close {@code in}; reads it to the end.
     *
     * @throws IOException if the stream is not a snapshot this version understands, is corrupt or truncated
     */
    public void restore(InputStream in) throws IOException {
        Objects.requireNonNull(in, "in");
        KvSnapshotCodec.Restored restored = KvSnapshotCodec.read(in, policy);
        idempotency = restored.idempotency();
        keyspace = restored.keyspace();
        auth = restored.auth();
        appliedIndex = restored.appliedIndex();
    }
}
