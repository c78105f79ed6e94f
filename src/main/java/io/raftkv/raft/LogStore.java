package io.raftkv.raft;

import java.util.List;

/**
 * The persisted Raft log. The log starts after a snapshot point ({@code firstIndex() - 1}), whose
 * term it remembers so that consistency checks against it still work after compaction.
 *
 * <p>Implementations: {@code MemoryLogStore} (tests) and the segmented write-ahead log.
 */
public interface LogStore {

    /** Index of the first entry held; {@code lastIndex() + 1} when the log is empty. */
    long firstIndex();

    /** Index of the last entry held; {@code firstIndex() - 1} when the log is empty. */
    long lastIndex();

    /**
     * Term of the entry at {@code index}, for {@code firstIndex() - 1 <= index <= lastIndex()}.
     *
     * @throws LogCompactedException below that range
     * @throws IndexOutOfBoundsException above it
     */
    long term(long index);

    /**
     * Entries in {@code [from, to)}, stopping early once {@code maxBytes} is reached but always
     * returning at least one entry when the range is not empty.
     */
    List<Entry> entries(long from, long to, long maxBytes);

    /**
     * Appends entries with consecutive indexes, first discarding every held entry at or after the
     * first new index (a follower overwritten by a new leader). Durable when it returns.
     */
    void append(List<Entry> entries);

    /**
     * Discards entries up to and including {@code index}, which becomes the new snapshot point. A store
     * may leave some of their space to {@link #tidy} rather than free it all in this call.
     */
    void compact(long index);

    /**
     * Frees a bounded piece of the space compaction let go of and did not free yet; true while more
     * remains. What it frees held only entries before the snapshot point, so a crash before or during
     * it leaves a log that merely starts earlier. Called on the thread that calls {@link #compact}.
     */
    default boolean tidy() {
        return false;
    }

    /** Discards the whole log; it restarts after the snapshot point ({@code index}, {@code term}). Durable when it returns. */
    void reset(long index, long term);
}
