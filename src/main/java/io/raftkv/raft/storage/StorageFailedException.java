package io.raftkv.raft.storage;

/**
 * A write, fsync, rename or read of the node's own files failed (disk full, I/O error). The stores
 * stop accepting writes from then on: see {@link StorageHealth}.
 */
public final class StorageFailedException extends RuntimeException {
    public StorageFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
