package io.raftkv.raft.storage;

import io.raftkv.raft.HardState;
import io.raftkv.raft.StableStore;

/** The in-memory twin of the hard-state file. */
public final class MemoryStableStore implements StableStore {
    private volatile HardState state = HardState.EMPTY;

    @Override
    public HardState load() {
        return state;
    }

    @Override
    public void save(HardState state) {
        this.state = state;
    }
}
