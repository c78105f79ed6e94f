package io.raftkv.watch;

import io.raftkv.kv.KvEvent;

import java.util.List;

/**
 * Reads a hub's history as its watchers do, without a thread: for the simulator, which steps every
 * node in one thread and checks what a watcher of each would be sent.
 */
public final class HistoryReader {
    /** The changes of one log entry, as a watcher is sent them. */
    public record Batch(long revision, List<KvEvent> events) {
    }

    private HistoryReader() {
    }

    /**
     * Up to {@code max} batches after {@code cursor}, oldest first.
     *
     * @throws HistoryGoneException if the history no longer reaches back to {@code cursor}
     */
    public static List<Batch> after(WatchHub hub, long cursor, int max, long nowNanos) throws HistoryGoneException {
        return hub.history().after(cursor, max, nowNanos).stream().map(b -> new Batch(b.revision(), b.events())).toList();
    }
}
