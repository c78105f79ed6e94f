package io.raftkv.raft.storage;

import java.util.Optional;

/**
 * Whether the node's storage can still be written. Shared by the log, the hard-state file and the
 * snapshot directory of one node: once any of them fails, all of them refuse writes.
 *
 * <p>Why latch instead of retrying: after a failed fsync Linux may already have dropped the dirty
 * pages and marked them clean, so a second fsync can "succeed" without the data ever reaching the
 * disk (the 2018 "fsyncgate" lesson PostgreSQL learned). The only honest way back is a restart,
 * which rereads what really is on disk and cuts any torn tail.
 */
public final class StorageHealth {
    private volatile StorageFailedException failure;

    /** The failure that stopped writes, if any. Safe to call from any thread (e.g. a health endpoint). */
    public Optional<StorageFailedException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Throws the latched failure, so a write is refused before it touches a file. */
    void checkWritable() {
        StorageFailedException f = failure;
        if (f != null) {
            throw new StorageFailedException("storage failed earlier and accepts no writes until the node restarts: "
                    + f.getMessage(), f);
        }
    }

    /** Latches the first failure and returns the exception to throw for this one. */
    synchronized StorageFailedException fail(String what, Exception cause) {
        StorageFailedException e = new StorageFailedException(what + ": " + cause
                + "; the node accepts no writes until it restarts", cause);
        if (failure == null) {
            failure = e;
        }
        return e;
    }
}
