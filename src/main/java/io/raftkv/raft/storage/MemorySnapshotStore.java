package io.raftkv.raft.storage;

import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotStore;

/** The in-memory twin of the snapshot directory. */
public final class MemorySnapshotStore implements SnapshotStore {
    private volatile Snapshot latest;

    @Override
    public Snapshot latest() {
        return latest;
    }

    @Override
    public void save(Snapshot snapshot) {
        this.latest = snapshot;
    }
}
