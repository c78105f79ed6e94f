package io.raftkv.raft.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The few file-system operations the durable stores need, and nothing more.
 *
 * <p>The stores never touch {@code java.nio.file} directly: every write, fsync, rename and delete
 * goes through here, so a test (or the simulator) can swap in a disk that loses what was not
 * synced, tears the last write, flips bits or runs out of space, and the stores run unchanged.
 *
 * <p>Durability rules the stores rely on, which every implementation must model faithfully:
 * data written to a file is durable only after {@link DiskFile#force()}; a create, rename or
 * delete is durable only after {@link #syncDirectory} on the parent directory.
 */
public interface Disk {

    /** Creates the directory and its parents if missing. */
    void createDirectories(Path dir) throws IOException;

    /** Opens an existing file for reading and writing. */
    DiskFile open(Path file) throws IOException;

    /** Creates a file, emptying it if it exists, and opens it for reading and writing. */
    DiskFile create(Path file) throws IOException;

    boolean exists(Path file) throws IOException;

    /** File names (not paths) directly in {@code dir}, in no particular order. */
    List<String> list(Path dir) throws IOException;

    /** Atomically replaces {@code to} with {@code from}. */
    void rename(Path from, Path to) throws IOException;

    /** Deletes the file if it exists. */
    void delete(Path file) throws IOException;

    /**
     * Deletes a file nothing will read again, perhaps later and on another thread: a file system frees
     * a file's blocks as it unlinks it, which takes milliseconds per tens of megabytes, and the caller
     * need not wait for that. The caller has already renamed the file to a name it never opens, and
     * deletes such names itself when it starts (a discard is not durable, and may be lost in a crash).
     */
    default void discard(Path file) throws IOException {
        delete(file);
    }

    /** Makes creates, renames and deletes of entries in {@code dir} durable. */
    void syncDirectory(Path dir) throws IOException;

    /**
     * Takes an exclusive lock on {@code file} (created if missing) so that two processes never open
     * the same data directory; closing the result releases it.
     *
     * @throws IOException if someone else holds it
     */
    Closeable lock(Path file) throws IOException;
}
