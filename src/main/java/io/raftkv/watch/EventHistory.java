package io.raftkv.watch;

import io.raftkv.kv.KvEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The window of recently applied changes, one batch per log entry, bounded by number of events,
 * bytes and age; the oldest batches go first. Every change with a revision above {@link #floor()}
 * is in the window, so a watcher whose cursor is at or above the floor misses nothing.
 *
 * <p>Thread-safe: the apply thread appends, watcher threads read; each call holds the lock briefly.
 */
final class EventHistory {
    /** The changes of one log entry, and what they cost against the bounds. */
    record Batch(long revision, List<KvEvent> events, long bytes, long appendedAtNanos) {
    }

    private final int maxEvents;
    private final long maxBytes;
    private final long maxAgeNanos;
    private final TreeMap<Long, Batch> batches = new TreeMap<>();
    private long floor;
    private int events;
    private long bytes;

    EventHistory(int maxEvents, long maxBytes, long maxAgeNanos, long floor) {
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
        this.maxAgeNanos = maxAgeNanos;
        this.floor = floor;
    }

    /** Heap an event costs, roughly: the key as a String, the value, and the records around them. */
    static long cost(KvEvent e) {
        return 2L * e.key().length() + e.kv().value().length
                + (e.kv().contentType() == null ? 0 : e.kv().contentType().length()) + 160;
    }

    synchronized void append(long revision, List<KvEvent> changes, long nowNanos) {
        long b = 0;
        for (KvEvent e : changes) {
            b += cost(e);
        }
        batches.put(revision, new Batch(revision, changes, b, nowNanos));
        events += changes.size();
        bytes += b;
        trim(nowNanos);
    }

    /** Forgets everything: the changes up to {@code newFloor} are not known here (a snapshot replaced the state). */
    synchronized void reset(long newFloor) {
        batches.clear();
        events = 0;
        bytes = 0;
        floor = Math.max(floor, newFloor);
    }

    /**
     * Up to {@code maxBatches} batches with revisions above {@code cursor}, oldest first.
     *
     * @throws HistoryGoneException if {@code cursor} is below the floor
     */
    synchronized List<Batch> after(long cursor, int maxBatches, long nowNanos) throws HistoryGoneException {
        trim(nowNanos);
        if (cursor < floor) {
            throw new HistoryGoneException(floor);
        }
        List<Batch> out = new ArrayList<>(Math.min(maxBatches, 64));
        for (Map.Entry<Long, Batch> e : batches.tailMap(cursor, false).entrySet()) {
            if (out.size() == maxBatches) {
                break;
            }
            out.add(e.getValue());
        }
        return out;
    }

    /** The revision below which a cursor is gone. */
    synchronized long floor() {
        return floor;
    }

    /** The newest revision in the window, or the floor when it is empty. */
    synchronized long newest() {
        return batches.isEmpty() ? floor : batches.lastKey();
    }

    synchronized int eventCount() {
        return events;
    }

    synchronized long byteCount() {
        return bytes;
    }

    private void trim(long nowNanos) {
        while (!batches.isEmpty()) {
            Batch oldest = batches.firstEntry().getValue();
            boolean over = events > maxEvents || bytes > maxBytes || nowNanos - oldest.appendedAtNanos() > maxAgeNanos;
            if (!over) {
                return;
            }
            batches.pollFirstEntry();
            events -= oldest.events().size();
            bytes -= oldest.bytes();
            floor = oldest.revision();
        }
    }
}
