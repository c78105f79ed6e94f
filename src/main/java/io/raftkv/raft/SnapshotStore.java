package io.raftkv.raft;

/**
 * Where snapshots live. Saving is durable and atomic: after a crash the old or the new snapshot is there, whole.
 *
 * <p>Concurrency: {@link #latest} may be called from any thread. {@link #save} is called by the thread
 * that drives the node; {@link #saveTaken} may run on another thread at the same time, and must not hold
 * {@link #save} up for longer than it takes to put a written file in place.
 */
public interface SnapshotStore {

    /** The newest snapshot, or null when there is none. */
    Snapshot latest();

    /** Saves a snapshot received from the leader, restored from a backup, or made at bootstrap. */
    void save(Snapshot snapshot);

    /**
     * Saves a snapshot this node took of its own state machine, unless one at least as new is saved
     * already: a snapshot received from the leader while this one was being written is newer than
     * anything the state machine had applied, and must not be replaced by an older one.
     *
     * @return whether {@code snapshot} was saved
     */
    boolean saveTaken(Snapshot snapshot);
}
