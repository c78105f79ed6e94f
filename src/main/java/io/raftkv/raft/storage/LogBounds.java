package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.LogCompactedException;

import java.util.List;

/** The argument rules of {@link io.raftkv.raft.LogStore}, shared so the durable log and its in-memory twin cannot drift apart. */
final class LogBounds {
    private LogBounds() {
    }

    /**
     * Checks a whole batch before anything is changed, so a bad batch leaves the log as it was.
     *
     * @param startIndex the snapshot point ({@code firstIndex() - 1})
     */
    static void checkAppend(List<Entry> batch, long startIndex, long lastIndex) {
        long first = batch.get(0).index();
        if (first <= startIndex || first > lastIndex + 1) {
            throw new IllegalArgumentException("append at " + first + " does not fit log (" + startIndex + ", " + lastIndex + "]");
        }
        long expected = first;
        for (Entry e : batch) {
            if (e.index() != expected++) {
                throw new IllegalArgumentException("entries are not consecutive at " + e.index());
            }
        }
    }

    static void checkRange(long from, long to, long startIndex, long lastIndex) {
        if (from <= startIndex) {
            throw new LogCompactedException(from, startIndex + 1);
        }
        if (to > lastIndex + 1) {
            throw new IndexOutOfBoundsException("entries up to " + to + " requested; last is " + lastIndex);
        }
    }

    static void checkTerm(long index, long startIndex, long lastIndex) {
        if (index < startIndex) {
            throw new LogCompactedException(index, startIndex + 1);
        }
        if (index > lastIndex) {
            throw new IndexOutOfBoundsException("index " + index + " is beyond the last entry " + lastIndex);
        }
    }
}
