package io.raftkv.raft;

import java.util.Set;

/**
 * Where the {@link HardState} lives, and the ids this node has ever heard from. {@link #save} and
 * {@link #addContact} are durable and atomic when they return.
 */
public interface StableStore {

    /** The last saved hard state, or {@link HardState#EMPTY} for a new node. */
    HardState load();

    void save(HardState state);

    /**
     * Every member id this node has ever taken a message from. A node with an empty data directory
     * may take back its own name as member id only if no one has: then nothing it said before the
     * loss (a vote, an acknowledgement) was ever counted.
     */
    Set<String> contacts();

    /** Records {@code id} among {@link #contacts()}, durably before returning. */
    void addContact(String id);
}
