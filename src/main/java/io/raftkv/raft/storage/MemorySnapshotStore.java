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
    public synchronized void save(Snapshot snapshot) {
        this.latest = snapshot;
    }

    @Override
    public synchronized boolean saveTaken(Snapshot snapshot) {
        if (latest != null && snapshot.index() <= latest.index()) {
            return false;
        }
        latest = snapshot;
        return true;
    }
}
