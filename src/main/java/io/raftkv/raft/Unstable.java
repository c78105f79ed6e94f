package io.raftkv.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The tail of the log that the core has accepted but the driver has not yet persisted: new entries
 * (starting at {@code offset}) and possibly a snapshot received from the leader.
 */
final class Unstable {
    Snapshot snapshot;
    List<Entry> entries = new ArrayList<>();
    long offset;

    Unstable(long offset) {
        this.offset = offset;
    }

    /** First log index if an unpersisted snapshot sets it, else -1. */
    long maybeFirstIndex() {
        return snapshot != null ? snapshot.index() + 1 : -1;
    }

    /** Last log index if the unstable part determines it, else -1. */
    long maybeLastIndex() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        return snapshot != null ? snapshot.index() : -1;
    }

    /** Term at {@code index} if the unstable part knows it, else -1. */
    long maybeTerm(long index) {
        if (index < offset) {
            return snapshot != null && snapshot.index() == index ? snapshot.term() : -1;
        }
        long last = maybeLastIndex();
        if (last < 0 || index > last) {
            return -1;
        }
        return entries.get((int) (index - offset)).term();
    }

    /** Entries up to ({@code index}, {@code term}) are durable now; forget them here. */
    void stableTo(long index, long term) {
        long t = maybeTerm(index);
        if (t == term && index >= offset) {
            entries = new ArrayList<>(entries.subList((int) (index + 1 - offset), entries.size()));
            offset = index + 1;
        }
    }

    void stableSnapTo(long index) {
        if (snapshot != null && snapshot.index() == index) {
            snapshot = null;
        }
    }

    void restore(Snapshot s) {
        offset = s.index() + 1;
        entries = new ArrayList<>();
        snapshot = s;
    }

    void truncateAndAppend(List<Entry> ents) {
        long after = ents.get(0).index();
        if (after == offset + entries.size()) {
            entries.addAll(ents);
        } else if (after <= offset) {
            // Replaces the whole unstable part and, once persisted, the stored entries from `after` on.
            offset = after;
            entries = new ArrayList<>(ents);
        } else {
            List<Entry> kept = new ArrayList<>(entries.subList(0, (int) (after - offset)));
            kept.addAll(ents);
            entries = kept;
        }
    }

    List<Entry> slice(long lo, long hi) {
        return entries.subList((int) (lo - offset), (int) (hi - offset));
    }
}
