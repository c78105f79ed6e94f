package io.raftkv.raft.storage;

import java.nio.file.Path;

/**
 * A file in the data directory cannot be trusted: a bad checksum, a missing segment, a record out of
 * sequence, or a format this release does not read. Thrown when opening, so the node refuses to start
 * instead of serving a log with holes in it.
 */
public final class CorruptStorageException extends RuntimeException {
    private final Path file;
    private final long offset;
    private final String problem;

    public CorruptStorageException(Path file, long offset, String problem) {
        super(file + " at offset " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    /** What is wrong, without the file and offset. */
    public String problem() {
        return problem;
    }
}
