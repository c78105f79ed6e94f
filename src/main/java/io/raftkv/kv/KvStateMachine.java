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
import java.util.concurrent.locks.StampedLock;
import java.util.function.Supplier;

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
    /** Held for writing while one entry changes keys, so that a page of {@link #list} is read at one revision. */
    private final StampedLock entryLock = new StampedLock();
    /** Used by the apply thread; volatile only so that {@link #idempotencyKeyCount()} sees a restore. */
    private volatile IdempotencyTable idempotency;
    private volatile long appliedIndex;
    private volatile long applyingIndex;
    /** Roles and tokens; replaced as a whole, so any thread reads one consistent version. */
    private volatile AuthState auth = AuthState.EMPTY;
    private volatile Leases leases = new Leases();
    private volatile Listener listener = Listener.NONE;
    /** The changes of the entry being applied, handed to the listener once it is applied. */
    private final List<KvEvent> events = new ArrayList<>();

    /**
     * Told, on the apply thread, what each applied entry changed. It must return quickly: the apply
     * thread waits for it (the watch history only appends to a bounded buffer).
     */
    public interface Listener {
        Listener NONE = new Listener() {
            @Override
            public void applied(long revision, List<KvEvent> events) {
            }

            @Override
            public void restored(long appliedIndex) {
            }
        };

        /**
         * The entry at {@code revision} changed these keys, in order. The keys already hold the new
         * state; {@link #appliedIndex()} covers the entry only once this returns.
         */
        void applied(long revision, List<KvEvent> events);

        /**
         * The state was replaced by a snapshot at {@code appliedIndex}: the changes between the last
         * applied entry and it are not known here.
         */
        void restored(long appliedIndex);

        /** The roles or tokens changed ({@link #auth()} holds the new ones): a permission granted before may be gone. */
        default void authChanged() {
        }
    }

    public KvStateMachine(IdempotencyPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.idempotency = new IdempotencyTable(policy);
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Sets who is told of applied changes; before the apply thread starts, or on it. */
    public void listen(Listener l) {
        listener = Objects.requireNonNull(l, "listener");
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
        WriteResult result = exclusively(() -> once(cmd.idempotencyKey(), cmd.proposedAtMillis(), () -> fingerprint(cmd),
                () -> execute(index, cmd)));
        return applied(index, result);
    }

    /** Runs one entry's changes of keys while no page of {@link #list} is being read. Apply thread only. */
    private WriteResult exclusively(Supplier<WriteResult> change) {
        long stamp = entryLock.writeLock();
        try {
            return change.get();
        } finally {
            entryLock.unlockWrite(stamp);
        }
    }

    /**
     * Runs {@code execute}, or, with an idempotency key already used by the same request (same
     * fingerprint), answers what it answered the first time and changes nothing.
     */
    private WriteResult once(String idempotencyKey, long proposedAtMillis, Supplier<byte[]> fingerprint,
                             Supplier<WriteResult> execute) {
        IdempotencyTable table = idempotency;
        table.observe(proposedAtMillis);
        if (idempotencyKey == null) {
            return execute.get();
        }
        byte[] print = fingerprint.get();
        WriteResult remembered = table.lookup(idempotencyKey, print);
        if (remembered != null) {
            return remembered;
        }
        WriteResult result = execute.get();
        table.remember(idempotencyKey, print, result);
        return result;
    }

    /**
     * Tells the listener what the entry at {@code index} changed, then publishes it as applied: a
     * reader that sees {@code appliedIndex() >= i} knows the listener has every change up to {@code i}.
     */
    private WriteResult applied(long index, WriteResult result) {
        if (!events.isEmpty()) {
            List<KvEvent> changes = List.copyOf(events);
            events.clear();
            listener.applied(index, changes);
        }
        appliedIndex = index;
        return result;
    }

    /**
     * Applies a committed command entry as it is stored in the log: a {@link KvCommand}, an
     * {@link AuthCommand}, a {@link TxnCommand} or a {@link LeaseCommand}, told apart by the first byte. Apply thread only.
     *
     * @throws IllegalArgumentException if the data is neither
     */
    public WriteResult apply(long index, byte[] entryData) {
        if (AuthCommand.isAuthCommand(entryData)) {
            return apply(index, AuthCommand.decode(entryData));
        }
        if (TxnCommand.isTxn(entryData)) {
            return apply(index, TxnCommand.decode(entryData));
        }
        if (LeaseCommand.isLease(entryData)) {
            return apply(index, LeaseCommand.decode(entryData));
        }
        return apply(index, KvCommand.decode(entryData));
    }

    /** Applies a committed change to the roles and tokens. Apply thread only. */
    public WriteResult apply(long index, AuthCommand cmd) {
        Objects.requireNonNull(cmd, "cmd");
        requireAfterApplied(index);
        AuthState.Applied applied = auth.apply(index, cmd);
        boolean changed = applied.state() != auth;
        auth = applied.state();
        appliedIndex = index;
        if (changed) {
            listener.authChanged();
        }
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

    /** Checks that {@code index} comes next and announces it in {@link #applyingIndex()} before anything changes. */
    private void requireAfterApplied(long index) {
        long applied = appliedIndex;
        if (index <= applied) {
            throw new IllegalStateException("cannot apply log index " + index + ": index " + applied
                    + " is already applied and indexes must increase");
        }
        applyingIndex = index;
    }

    /**
     * The index of the newest entry whose changes a reader may already see: the one being applied,
     * or the last one applied. A reader that saw any key during a call can wait for
     * {@code appliedIndex() >= applyingIndex()} read after it, to know every change it saw has been
     * told to the {@link Listener}. Any thread.
     */
    public long applyingIndex() {
        return applyingIndex;
    }

    private WriteResult execute(long index, KvCommand cmd) {
        Keyspace ks = keyspace;
        String key = cmd.key();
        KeyValue current = ks.map.get(key);
        if (!cmd.precondition().holdsFor(current)) {
            return new WriteResult.PreconditionFailed(current == null ? 0 : current.modRevision());
        }
        if (cmd instanceof KvCommand.Put put) {
            put(ks, index, current, key, put.value(), put.contentType(), 0);
            return new WriteResult.Written(index, current == null);
        }
        if (current == null) {
            return WriteResult.NOT_FOUND;
        }
        delete(ks, index, current, 0);
        return new WriteResult.Deleted(index);
    }

    /** Stores a copy of {@code value} at {@code index}; the key then belongs to {@code lease} (0: none), which exists. */
    private void put(Keyspace ks, long index, KeyValue current, String key, byte[] value, String contentType, long lease) {
        KeyValue next = current == null
                ? new KeyValue(key, value.clone(), contentType, index, index, 1)
                : new KeyValue(key, value.clone(), contentType, current.createRevision(), index, current.version() + 1);
        ks.put(current, next);
        leases.attach(key, lease);
        events.add(new KvEvent(KvEvent.Type.PUT, index, next, 0));
    }

    /** Deletes {@code current} at {@code index}; {@code byLease} names the lease that ended, 0 for a client. */
    private void delete(Keyspace ks, long index, KeyValue current, long byLease) {
        ks.remove(current);
        if (byLease == 0) {
            leases.attach(current.key(), 0);
        }
        events.add(new KvEvent(KvEvent.Type.DELETE, index, current, byLease));
    }

    /**
     * Applies a committed transaction at log {@code index}: every write at revision {@code index}.
     * A put naming a lease that does not exist fails the whole transaction with
     * {@link WriteResult.LeaseNotFound}, before anything changes. Apply thread only.
     */
    public WriteResult apply(long index, TxnCommand txn) {
        Objects.requireNonNull(txn, "txn");
        requireAfterApplied(index);
        // The fingerprint is the encoding without what a retry changes: the idempotency key and the time.
        WriteResult result = exclusively(() -> once(txn.idempotencyKey(), txn.proposedAtMillis(),
                () -> fingerprint(new TxnCommand(txn.compare(), txn.success(), txn.failure(), null, 0).encode()),
                () -> execute(index, txn, null)));
        return applied(index, result);
    }

    /** Runs {@code txn}; with {@code grant}, a success first grants lease {@code index}, which its puts then belong to. */
    private WriteResult execute(long index, TxnCommand txn, LeaseCommand.GrantWith grant) {
        Keyspace ks = keyspace;
        boolean succeeded = true;
        for (TxnCommand.Compare c : txn.compare()) {
            if (!c.holdsFor(ks.map.get(c.key()))) {
                succeeded = false;
                break;
            }
        }
        List<TxnCommand.Op> ops = succeeded ? txn.success() : txn.failure();
        for (TxnCommand.Op op : ops) {
            if (op instanceof TxnCommand.Put p && p.lease() != 0 && !leases.exists(p.lease())) {
                return new WriteResult.LeaseNotFound(p.lease());
            }
        }
        long ownLease = 0;
        if (succeeded && grant != null) {
            leases.observeTerm(grant.term());
            leases.grant(index, grant.ttlMillis());
            ownLease = index;
        }
        List<WriteResult.OpResult> results = new ArrayList<>(ops.size());
        for (TxnCommand.Op op : ops) {
            KeyValue current = ks.map.get(op.key());
            if (op instanceof TxnCommand.Put p) {
                put(ks, index, current, p.key(), p.value(), p.contentType(), ownLease != 0 ? ownLease : p.lease());
                results.add(new WriteResult.PutDone(p.key(), current == null));
            } else if (op instanceof TxnCommand.Delete) {
                if (current != null) {
                    delete(ks, index, current, 0);
                }
                results.add(new WriteResult.DeleteDone(op.key(), current != null));
            } else {
                results.add(new WriteResult.GetDone(op.key(), current));
            }
        }
        return new WriteResult.TxnDone(succeeded, index, results);
    }

    /**
     * Applies a committed lease command at log {@code index}. An expiration proposed in a term older
     * than a lease command already applied, or timed from a renewal that has since been superseded,
     * is {@link WriteResult.Refused} and changes nothing. Apply thread only.
     */
    public WriteResult apply(long index, LeaseCommand cmd) {
        Objects.requireNonNull(cmd, "cmd");
        requireAfterApplied(index);
        Leases ls = leases;
        WriteResult result;
        if (cmd instanceof LeaseCommand.Expire x && x.term() < ls.highestTerm()) {
            result = new WriteResult.Refused("an expiration proposed in term " + x.term()
                    + " after a lease command of term " + ls.highestTerm() + " was applied");
        } else if (cmd instanceof LeaseCommand.Expire x && ls.get(x.id()).map(l -> l.renewedAt() != x.renewedAt()).orElse(false)) {
            result = new WriteResult.Refused("lease " + x.id() + " was renewed after the revision " + x.renewedAt()
                    + " its expiration was timed from");
        } else if (cmd instanceof LeaseCommand.GrantWith g) {
            TxnCommand txn = g.txn();
            // A retry may come in a later term and at a later time: neither makes it another request.
            result = exclusively(() -> once(txn.idempotencyKey(), txn.proposedAtMillis(),
                    () -> fingerprint(new LeaseCommand.GrantWith(0, g.ttlMillis(), new TxnCommand(txn.compare(), txn.success(),
                            txn.failure(), null, 0)).encode()),
                    () -> execute(index, txn, g)));
        } else {
            ls.observeTerm(cmd.term());
            result = exclusively(() -> executeLease(index, cmd, ls));
        }
        return applied(index, result);
    }

    private WriteResult executeLease(long index, LeaseCommand cmd, Leases ls) {
        if (cmd instanceof LeaseCommand.Grant g) {
            ls.grant(index, g.ttlMillis());
            return new WriteResult.LeaseAlive(index, g.ttlMillis());
        }
        if (cmd instanceof LeaseCommand.KeepAlive k) {
            return ls.renew(k.id(), index)
                    ? new WriteResult.LeaseAlive(k.id(), ls.get(k.id()).orElseThrow().ttlMillis())
                    : new WriteResult.LeaseNotFound(k.id());
        }
        long id = cmd instanceof LeaseCommand.Revoke r ? r.id() : ((LeaseCommand.Expire) cmd).id();
        List<String> keys = ls.end(id);
        if (keys == null) {
            return new WriteResult.LeaseNotFound(id);
        }
        Keyspace ks = keyspace;
        for (String key : keys) {
            delete(ks, index, ks.map.get(key), id);
        }
        return new WriteResult.LeaseEnded(id, index, keys.size());
    }

    /** Lease {@code id} as applied here. Any thread. */
    public Optional<Leases.Lease> lease(long id) {
        return leases.get(id);
    }

    /** Every lease as applied here, by id. Any thread. */
    public List<Leases.Lease> leases() {
        return leases.all();
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

    private byte[] fingerprint(byte[] canonical) {
        MessageDigest d = sha256;
        d.reset();
        return d.digest(canonical);
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
     * <p>A page is read between two entries, so it never shows part of a transaction or of a lease's
     * expiry: first without stopping the apply thread, and if an entry changed keys meanwhile, again
     * while holding the next one off (a page is bounded by {@code limit}). Each item is a committed
     * version no older than {@link #appliedIndex()} was when the call began. Pages of one listing
     * may be read at different revisions.
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
        long stamp = entryLock.tryOptimisticRead();
        if (stamp != 0) {
            Page page = page(p, startAfter, limit);
            if (entryLock.validate(stamp)) {
                return page;
            }
        }
        stamp = entryLock.readLock();
        try {
            return page(p, startAfter, limit);
        } finally {
            entryLock.unlockRead(stamp);
        }
    }

    private Page page(String p, String startAfter, int limit) {
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
     * {@link #IDEMPOTENCY_ENTRY_COST} per remembered outcome, what remembered transactions hold
     * (their keys and the values they read), and {@link #LEASE_COST} per lease. Never less than the heap it stands for,
     * so a quota on it bounds the heap. Any thread.
     */
    public long storedBytes() {
        IdempotencyTable table = idempotency;
        return keyspace.accountedBytes + table.size() * IDEMPOTENCY_ENTRY_COST + table.resultBytes()
                + leases.size() * LEASE_COST;
    }

    /**
     * Heap bytes a lease may cost against the store quota, rounded up: its map entry and record
     * (~120) and its key set (~100); each attached key adds a set node and a map entry, inside its
     * key's own {@link Keyspace#PER_KEY_OVERHEAD}.
     */
    public static final long LEASE_COST = 256;

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
        KvSnapshotCodec.write(out, appliedIndex, keyspace, idempotency, auth, leases);
    }

    /**
     * The state as applied now, to be written later, by any thread, exactly as {@link #writeSnapshot}
     * would write it now. The keys are held as references to their immutable values, not copied, so a
     * snapshot of a large store costs the heap an array of references instead of a second copy of the
     * data. Apply thread only.
     */
    public Image capture() throws IOException {
        return KvSnapshotCodec.capture(appliedIndex, keyspace, idempotency, auth, leases);
    }

    /** A state captured by {@link #capture}; {@link #writeTo} may be called on any thread, any number of times. */
    @FunctionalInterface
    public interface Image {
        void writeTo(OutputStream out) throws IOException;
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
        applyingIndex = restored.appliedIndex();
        idempotency = restored.idempotency();
        keyspace = restored.keyspace();
        auth = restored.auth();
        leases = restored.leases();
        events.clear();
        listener.restored(restored.appliedIndex());
        appliedIndex = restored.appliedIndex();
    }
}
