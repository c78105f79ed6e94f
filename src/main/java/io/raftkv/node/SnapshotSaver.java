package io.raftkv.node;

import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotStore;

/**
 * Saves the snapshots a node takes of its own state machine, for the {@link NodeDriver}, which
 * compacts the log once told a snapshot is saved. In production the saving runs beside the Raft
 * thread ({@link BackgroundSnapshotSaver}): writing and syncing tens of megabytes there held up
 * heartbeats and appends, on every node at once, because every node snapshots at the same index.
 *
 * <p>Contract: {@link #save} is called on the driver's thread, with at most one save outstanding.
 * The saver calls {@code done} exactly once, on the driver's thread, after the snapshot is durable or
 * found superseded by a newer one ({@link SnapshotStore#saveTaken}), or with the failure. If the node
 * stops first, {@code done} may never be called.
 */
public interface SnapshotSaver {

    void save(Snapshot snapshot, Done done);

    /** What the driver does once a save ended. */
    @FunctionalInterface
    interface Done {
        /** @param failure null when the snapshot is saved or was superseded */
        void saved(RuntimeException failure);
    }

    /** Saves on the caller's thread, before {@link #save} returns: the in-memory twin and the simplest tests' saver. */
    static SnapshotSaver inline(SnapshotStore store) {
        return (snapshot, done) -> done.saved(saveTaken(store, snapshot));
    }

    /** Saves {@code snapshot} as the node's own ({@link SnapshotStore#saveTaken}); returns the failure, or null. */
    static RuntimeException saveTaken(SnapshotStore store, Snapshot snapshot) {
        try {
            store.saveTaken(snapshot);
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }
}
