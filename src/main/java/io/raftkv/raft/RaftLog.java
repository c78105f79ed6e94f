package io.raftkv.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The node's view of its log: the persisted {@link LogStore} overlaid with the {@link Unstable}
 * tail, plus the commit and apply positions.
 */
final class RaftLog {
    /** Marks a term the log cannot tell: compacted away or beyond the last entry. */
    static final long UNKNOWN = -1;

    private final LogStore storage;
    private final SnapshotStore snapshots;
    final Unstable unstable;
    long committed;
    long applied;

    RaftLog(LogStore storage, SnapshotStore snapshots) {
        this.storage = storage;
        this.snapshots = snapshots;
        this.unstable = new Unstable(storage.lastIndex() + 1);
        this.committed = storage.firstIndex() - 1;
        this.applied = committed;
    }

    long firstIndex() {
        long i = unstable.maybeFirstIndex();
        return i >= 0 ? i : storage.firstIndex();
    }

    long lastIndex() {
        long i = unstable.maybeLastIndex();
        return i >= 0 ? i : storage.lastIndex();
    }

    long lastTerm() {
        return term(lastIndex());
    }

    /** The term at {@code index}, or {@link #UNKNOWN} if compacted or beyond the end. */
    long term(long index) {
        if (index < firstIndex() - 1 || index > lastIndex()) {
            return UNKNOWN;
        }
        long t = unstable.maybeTerm(index);
        if (t >= 0) {
            return t;
        }
        if (index < storage.firstIndex() - 1 || index > storage.lastIndex()) {
            return UNKNOWN;
        }
        return storage.term(index);
    }

    boolean matchTerm(long index, long term) {
        long t = term(index);
        return t != UNKNOWN && t == term;
    }

    /** §5.4.1: a candidate's log is at least as up to date as ours. */
    boolean isUpToDate(long lastIndex, long lastTerm) {
        long ourTerm = lastTerm();
        return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= lastIndex());
    }

    /**
     * The follower side of AppendEntries (§5.3). Returns the last index the new entries reach, or
     * -1 when the log does not contain an entry matching ({@code prevIndex}, {@code prevTerm}).
     */
    long maybeAppend(long prevIndex, long prevTerm, long leaderCommit, List<Entry> entries) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + entries.size();
        long conflict = findConflict(entries);
        if (conflict != 0) {
            if (conflict <= committed) {
                throw new IllegalStateException("entry " + conflict + " conflicts with a committed entry (committed="
                        + committed + ")");
            }
            append(entries.subList((int) (conflict - (prevIndex + 1)), entries.size()));
        }
        commitTo(Math.min(leaderCommit, lastNew));
        return lastNew;
    }

    /** The first new entry whose index we lack or whose term differs from ours; 0 if all match. */
    private long findConflict(List<Entry> entries) {
        for (Entry e : entries) {
            if (!matchTerm(e.index(), e.term())) {
                return e.index();
            }
        }
        return 0;
    }

    /**
     * The largest index at or below {@code index} whose term is at most {@code term}, with that term.
     * Used from both sides of fast backtracking: every index between the answer and {@code index}
     * holds an entry from a term the other side cannot have at that position.
     */
    long[] findConflictByTerm(long index, long term) {
        for (long i = Math.min(index, lastIndex()); i > 0; i--) {
            long t = term(i);
            if (t == UNKNOWN) {
                return new long[] {i, 0};
            }
            if (t <= term) {
                return new long[] {i, t};
            }
        }
        return new long[] {0, 0};
    }

    /** Appends a non-empty run of entries, replacing any uncommitted ones they overlap. */
    void append(List<Entry> entries) {
        long after = entries.get(0).index() - 1;
        if (after < committed) {
            throw new IllegalStateException("append after " + after + " would overwrite committed " + committed);
        }
        unstable.truncateAndAppend(entries);
    }

    void commitTo(long index) {
        if (index > committed) {
            if (index > lastIndex()) {
                throw new IllegalStateException("commit " + index + " is beyond the last index " + lastIndex());
            }
            committed = index;
        }
    }

    void appliedTo(long index) {
        if (index == 0) {
            return;
        }
        if (index > committed || index < applied) {
            throw new IllegalStateException("applied " + index + " is outside [" + applied + ", " + committed + "]");
        }
        applied = index;
    }

    /** The last index known to be durable on this node. */
    long persistedLastIndex() {
        if (unstable.snapshot != null) {
            return unstable.snapshot.index() - 1;
        }
        if (!unstable.entries.isEmpty()) {
            return Math.min(storage.lastIndex(), unstable.offset - 1);
        }
        return storage.lastIndex();
    }

    /** Committed entries that are durable here and not yet handed out for applying. */
    List<Entry> nextCommittedEntries(long maxBytes) {
        long hi = Math.min(committed, persistedLastIndex());
        long lo = Math.max(applied + 1, firstIndex());
        if (lo > hi) {
            return List.of();
        }
        return entries(lo, hi + 1, maxBytes);
    }

    boolean hasNextCommittedEntries() {
        return Math.min(committed, persistedLastIndex()) > Math.max(applied, firstIndex() - 1);
    }

    /** Entries in {@code [lo, hi)} up to {@code maxBytes} (at least one), or null if {@code lo} is compacted. */
    List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo < firstIndex()) {
            return null;
        }
        hi = Math.min(hi, lastIndex() + 1);
        if (lo >= hi) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        if (lo < unstable.offset) {
            long storedHi = Math.min(hi, unstable.offset);
            out.addAll(storage.entries(lo, storedHi, maxBytes));
            if (out.size() < storedHi - lo) {
                return out;
            }
        }
        if (hi > unstable.offset) {
            long bytes = 0;
            for (Entry e : out) {
                bytes += e.sizeBytes();
            }
            for (Entry e : unstable.slice(Math.max(lo, unstable.offset), hi)) {
                bytes += e.sizeBytes();
                if (!out.isEmpty() && bytes > maxBytes) {
                    break;
                }
                out.add(e);
            }
        }
        return out;
    }

    List<Entry> unstableEntries() {
        return List.copyOf(unstable.entries);
    }

    /** The snapshot to send to a follower that is behind the log's start, or null if none is available yet. */
    Snapshot snapshot() {
        return unstable.snapshot != null ? unstable.snapshot : snapshots.latest();
    }

    void restore(Snapshot s) {
        committed = s.index();
        unstable.restore(s);
    }

    void stableTo(long index, long term) {
        unstable.stableTo(index, term);
    }

    void stableSnapTo(long index) {
        unstable.stableSnapTo(index);
    }
}
