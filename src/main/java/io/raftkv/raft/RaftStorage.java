package io.raftkv.raft;

import java.util.Objects;

/**
 * The three stores a node persists to, and the order in which a {@link Ready} is written to them.
 * Both the simulator and the real node persist through here, so the rules live in one place.
 */
public record RaftStorage(LogStore log, StableStore stable, SnapshotStore snapshots) {

    public RaftStorage {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(stable, "stable");
        Objects.requireNonNull(snapshots, "snapshots");
    }

    /**
     * Writes a new cluster's first state: an empty snapshot at index 0 holding the initial voters.
     * Every member bootstraps identically, so they agree on it without talking.
     */
    public void bootstrap(Membership membership) {
        if (snapshots.latest() != null || log.lastIndex() > 0 || stable.load().term() > 0) {
            throw new IllegalStateException("storage already holds a cluster; refusing to bootstrap over it");
        }
        snapshots.save(new Snapshot(new SnapshotMetadata(0, 0, membership), new byte[0]));
        log.reset(0, 0);
    }

    public boolean isBootstrapped() {
        return snapshots.latest() != null;
    }

    /**
     * Brings the log in line with the newest snapshot after a crash between saving a received
     * snapshot and resetting the log to it: a log that does not hold the snapshot's last entry is
     * replaced by the snapshot. A log that does hold it is kept whole, including the trailing
     * entries before the snapshot that slightly slow followers may still need.
     */
    public void recover() {
        Snapshot snap = snapshots.latest();
        if (snap == null || snap.index() < log.firstIndex() - 1) {
            return; // a log starting after its snapshot is refused by the node, with the gap named
        }
        boolean holdsSnapshotEntry = snap.index() <= log.lastIndex() && log.term(snap.index()) == snap.term();
        if (!holdsSnapshotEntry) {
            log.reset(snap.index(), snap.term());
        }
    }

    /**
     * Persists everything a Ready asks for, in the order that keeps recovery sound: a received
     * snapshot first (saved before the log is cut back to it), then entries, then the hard state.
     */
    public void persist(Ready ready) {
        if (ready.snapshot() != null) {
            installSnapshot(ready.snapshot());
        }
        if (!ready.entries().isEmpty()) {
            log.append(ready.entries());
        }
        if (ready.hardState() != null) {
            stable.save(ready.hardState());
        }
    }

    /** A snapshot from the leader replaces the whole log. Saved first, so a crash never leaves a log with no base. */
    public void installSnapshot(Snapshot snapshot) {
        snapshots.save(snapshot);
        log.reset(snapshot.index(), snapshot.term());
    }

    /** A snapshot this node took of its own state machine, saved and the log compacted behind it in one step. */
    public void compactTo(Snapshot snapshot, long trailingEntries) {
        if (snapshots.saveTaken(snapshot)) {
            compactLog(snapshot.index(), trailingEntries);
        }
    }

    /**
     * Drops the log before a snapshot this node took once it is saved ({@link SnapshotStore#saveTaken}),
     * keeping {@code trailingEntries} so that slightly slow followers can still be sent entries. Only
     * after the save: the log must never start past the newest snapshot, or a crash would leave
     * entries that nothing on disk holds.
     */
    public void compactLog(long snapshotIndex, long trailingEntries) {
        Snapshot saved = snapshots.latest();
        if (saved == null || saved.index() < snapshotIndex) {
            throw new IllegalStateException("compacting the log to snapshot " + snapshotIndex
                    + " before it is saved (newest saved: " + (saved == null ? "none" : saved.index()) + ")");
        }
        long cut = snapshotIndex - trailingEntries;
        if (cut > log.firstIndex() - 1) {
            log.compact(Math.min(cut, log.lastIndex()));
        }
    }

    /** Frees a bounded piece of what compaction left on disk ({@link LogStore#tidy}); true while more remains. */
    public boolean tidyLog() {
        return log.tidy();
    }
}
