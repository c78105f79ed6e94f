package io.raftkv.raft.sim;

import io.raftkv.raft.Entry;
import io.raftkv.raft.Message;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.ReadState;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.storage.StorageFailedException;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A Raft node as the tests drive it: the core, its storage, a state machine, and the Ready loop
 * carried out in the order {@link Ready} prescribes. The storage outlives crashes; nothing else does.
 */
public final class LocalNode {

    /** Observation points inside the Ready loop, for invariant checks and crash injection. */
    public interface Hooks {
        /** Return false to crash here: after the early messages left, before anything was persisted. */
        default boolean beforePersist(LocalNode node, Ready rd) {
            return true;
        }

        default void afterPersist(LocalNode node, Ready rd) {
        }

        default void applied(LocalNode node, Entry e, boolean result) {
        }

        default void readReady(LocalNode node, ReadState rs) {
        }

        default void afterAdvance(LocalNode node, Ready rd) {
        }
    }

    public final String id;
    final RaftConfig cfg;
    private final Supplier<RaftStorage> storageOpener;
    public RaftStorage storage;
    public RaftNode raft;
    public SimStateMachine sm;
    public boolean up;
    /** Take a snapshot every this many applied entries (0: never), keeping {@link #trailingEntries} in the log. */
    public long snapshotEvery;
    public long trailingEntries;
    private long lastSnapshotIndex;

    /**
     * @param storageOpener opens the node's durable storage; called once per life, so a simulated
     *                      disk can drop what was never synced before the node comes back
     */
    public LocalNode(RaftConfig cfg, Supplier<RaftStorage> storageOpener) {
        this.id = cfg.id();
        this.cfg = cfg;
        this.storageOpener = storageOpener;
    }

    public void start(Random random) {
        storage = storageOpener.get();
        storage.recover();
        raft = new RaftNode(cfg, storage, random);
        Snapshot snap = storage.snapshots().latest();
        sm = new SimStateMachine(snap);
        lastSnapshotIndex = snap.index();
        up = true;
    }

    public void crash() {
        up = false;
        raft = null;
        sm = null;
        storage = null;
    }

    /**
     * Carries out every pending Ready. Messages go to {@code outbox}; the early ones (a leader's
     * replication) before the Ready is persisted. Returns false if a hook crashed the node.
     */
    public boolean processReady(List<Message> outbox, Hooks hooks) {
        try {
            return processReadyOrFail(outbox, hooks);
        } catch (StorageFailedException e) {
            // The disk failed (a read while building messages, say): the node stops, as the real one does.
            crash();
            return false;
        }
    }

    private boolean processReadyOrFail(List<Message> outbox, Hooks hooks) {
        while (up && raft.prepareReady()) {
            Ready rd = raft.ready();
            List<Message> late = new ArrayList<>();
            for (Message m : rd.messages()) {
                (m.sendableBeforePersist() ? outbox : late).add(m);
            }
            if (!hooks.beforePersist(this, rd)) {
                crash();
                return false;
            }
            try {
                storage.persist(rd);
            } catch (StorageFailedException e) {
                // A write that fails leaves the node unable to promise anything: it stops, as the real node does.
                crash();
                return false;
            }
            hooks.afterPersist(this, rd);
            outbox.addAll(late);
            if (rd.snapshot() != null) {
                sm.restore(rd.snapshot());
                lastSnapshotIndex = rd.snapshot().index();
            }
            for (Entry e : rd.committedEntries()) {
                boolean result = sm.apply(e);
                hooks.applied(this, e, result);
            }
            for (ReadState rs : rd.readStates()) {
                hooks.readReady(this, rs);
            }
            raft.advance(rd);
            try {
                maybeSnapshot();
            } catch (StorageFailedException e) {
                crash();
                return false;
            }
            hooks.afterAdvance(this, rd);
        }
        return up;
    }

    private void maybeSnapshot() {
        long applied = sm.appliedIndex();
        if (snapshotEvery > 0 && applied - lastSnapshotIndex >= snapshotEvery) {
            SnapshotMetadata meta = new SnapshotMetadata(applied, raft.termAt(applied), sm.membership());
            storage.compactTo(new Snapshot(meta, sm.encode()), trailingEntries);
            lastSnapshotIndex = applied;
        }
    }

    @Override
    public String toString() {
        return up ? raft.toString() : id + "[down]";
    }
}
