package io.raftkv.raft.storage;

import io.raftkv.raft.HardState;
import io.raftkv.raft.StableStore;

import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The in-memory twin of the hard-state and contacts files. */
public final class MemoryStableStore implements StableStore {
    private volatile HardState state = HardState.EMPTY;
    private final Set<String> contacts = ConcurrentHashMap.newKeySet();

    @Override
    public HardState load() {
        return state;
    }

    @Override
    public void save(HardState state) {
        this.state = state;
    }

    @Override
    public Set<String> contacts() {
        return Collections.unmodifiableSet(contacts);
    }

    @Override
    public void addContact(String id) {
        contacts.add(id);
    }
}
