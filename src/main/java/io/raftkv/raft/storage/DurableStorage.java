package io.raftkv.raft.storage;

import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Opens a node's data directory as a {@link RaftStorage}: the write-ahead log, the hard-state file
 * and the snapshots, sharing one {@link StorageHealth}, recovered and brought in line with each
 * other ({@link RaftStorage#recover()}) before it is handed out.
 *
 * <p>The same code runs on the real file system ({@link FileDisk}) and on a simulated disk in tests;
 * after a simulated crash, open the same directory again to get the recovered node.
 */
public final class DurableStorage {

    private DurableStorage() {
    }

    public static RaftStorage open(Path dir) throws IOException {
        return open(FileDisk.INSTANCE, dir, StorageOptions.defaults());
    }

    public static RaftStorage open(Disk disk, Path dir) throws IOException {
        return open(disk, dir, StorageOptions.defaults());
    }

    /**
     * @throws CorruptStorageException if a file is damaged anywhere but a torn log tail, or has a
     *                                 format version this release does not read: the node must not start
     * @throws IOException             if the directory cannot be read, or is locked by another process
     */
    public static RaftStorage open(Disk disk, Path dir, StorageOptions options) throws IOException {
        StorageHealth health = new StorageHealth();
        DurableLogStore log = DurableLogStore.open(disk, dir, health, options); // takes the directory lock
        try {
            RaftStorage storage = new RaftStorage(log,
                    DurableStableStore.open(disk, dir, health),
                    DurableSnapshotStore.open(disk, dir, health));
            storage.recover();
            checkLogReachesSnapshot(storage, log);
            return storage;
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /**
     * The log must reach back to the newest snapshot: a log starting later means segments were lost
     * (deleted by hand, a bad restore), and replaying it would skip the entries in between.
     */
    private static void checkLogReachesSnapshot(RaftStorage storage, DurableLogStore log) {
        Snapshot snap = storage.snapshots().latest();
        long base = snap == null ? 0 : snap.index();
        if (log.firstIndex() - 1 > base) {
            throw new CorruptStorageException(log.segmentPaths().get(0), 0, "the log starts after entry "
                    + (log.firstIndex() - 1) + " but the newest snapshot ends at " + (snap == null ? "none (there is no snapshot)" : base)
                    + ": the segments holding the entries in between are missing");
        }
    }

    /** The health shared by the stores of {@code storage}, or empty if it is not durable storage. */
    public static Optional<StorageHealth> health(RaftStorage storage) {
        return storage.log() instanceof DurableLogStore d ? Optional.of(d.health()) : Optional.empty();
    }

    /** Why the storage stopped accepting writes, if it did (for a health endpoint). */
    public static Optional<StorageFailedException> failure(RaftStorage storage) {
        return health(storage).flatMap(StorageHealth::failure);
    }

    /** The snapshot store, for streaming snapshots to followers and receiving them in chunks. */
    public static DurableSnapshotStore snapshots(RaftStorage storage) {
        if (storage.snapshots() instanceof DurableSnapshotStore s) {
            return s;
        }
        throw new IllegalArgumentException("not durable storage: " + storage.snapshots().getClass().getSimpleName());
    }

    /** Closes the files and releases the directory lock. */
    public static void close(RaftStorage storage) {
        if (storage.log() instanceof DurableLogStore d) {
            d.close();
        }
    }
}
