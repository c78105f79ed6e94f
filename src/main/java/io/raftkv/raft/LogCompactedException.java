package io.raftkv.raft;

/** The requested log position lies before the log's start: it has been folded into a snapshot. */
public final class LogCompactedException extends RuntimeException {
    public LogCompactedException(long index, long firstIndex) {
        super("index " + index + " is compacted; the log starts at " + firstIndex);
    }
}
