package io.raftkv.raft;

/** Where snapshots live. Saving is durable and atomic: after a crash the old or the new snapshot is there, whole. */
public interface SnapshotStore {

    /** The newest snapshot, or null when there is none. */
    Snapshot latest();

    void save(Snapshot snapshot);
}
