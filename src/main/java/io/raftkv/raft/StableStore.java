package io.raftkv.raft;

/** Where the {@link HardState} lives. {@link #save} is durable and atomic when it returns. */
public interface StableStore {

    /** The last saved hard state, or {@link HardState#EMPTY} for a new node. */
    HardState load();

    void save(HardState state);
}
