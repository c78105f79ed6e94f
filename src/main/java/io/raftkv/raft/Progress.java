package io.raftkv.raft;

import java.util.ArrayDeque;

/**
 * What a leader knows about one follower's log, and how it is sending to it.
 * <ul>
 *   <li>PROBE: the follower's position is unknown; one AppendEntries at a time until one succeeds.</li>
 *   <li>REPLICATE: the position is known; AppendEntries are pipelined, up to a window of unanswered messages.</li>
 *   <li>SNAPSHOT: the follower needs compacted entries; an InstallSnapshot is on its way.</li>
 * </ul>
 */
final class Progress {
    enum State { PROBE, REPLICATE, SNAPSHOT }

    long match;
    long next;
    State state = State.PROBE;
    /** In PROBE: an AppendEntries is out and unanswered. */
    boolean probeSent;
    long pendingSnapshot;
    int snapshotElapsed;
    /** Heard from since the last CheckQuorum. */
    boolean recentActive;
    /** Whether it was recentActive in the CheckQuorum round before this one: with {@link #recentActive}, heard within the last round or two. */
    boolean activeRoundBefore;
    /** Last index of each unanswered AppendEntries in REPLICATE, oldest first. */
    private final ArrayDeque<Long> inflight = new ArrayDeque<>();
    private final int maxInflight;

    /** Heard from in this CheckQuorum round or the one before. */
    boolean heardLately() {
        return recentActive || activeRoundBefore;
    }

    Progress(long next, int maxInflight) {
        this.next = next;
        this.maxInflight = maxInflight;
    }

    void becomeProbe() {
        next = state == State.SNAPSHOT ? Math.max(match + 1, pendingSnapshot + 1) : match + 1;
        state = State.PROBE;
        resetSending();
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        next = match + 1;
        resetSending();
    }

    void becomeSnapshot(long snapshotIndex) {
        state = State.SNAPSHOT;
        resetSending();
        pendingSnapshot = snapshotIndex;
    }

    private void resetSending() {
        probeSent = false;
        pendingSnapshot = 0;
        snapshotElapsed = 0;
        inflight.clear();
    }

    /** A successful answer up to {@code index}. Returns whether {@code match} moved. */
    boolean maybeUpdate(long index) {
        boolean updated = false;
        if (match < index) {
            match = index;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, index + 1);
        return updated;
    }

    /**
     * A rejection of the AppendEntries whose prevLogIndex was {@code rejected}. Returns false when the
     * rejection is stale (answers a message sent before the leader learned more).
     */
    boolean maybeDecrTo(long rejected, long matchHint) {
        if (state == State.REPLICATE) {
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            return true;
        }
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
        probeSent = false;
        return true;
    }

    /** Records an AppendEntries just sent whose last entry is {@code lastIndex} ({@code count} entries). */
    void sent(long lastIndex, int count) {
        switch (state) {
            case REPLICATE -> {
                if (count > 0) {
                    next = lastIndex + 1;
                    inflight.addLast(lastIndex);
                }
            }
            case PROBE -> probeSent = true;
            case SNAPSHOT -> throw new IllegalStateException("sending entries while a snapshot is pending");
        }
    }

    /** Drops the in-flight records answered by a success up to {@code index}. */
    void freeInflightTo(long index) {
        while (!inflight.isEmpty() && inflight.peekFirst() <= index) {
            inflight.pollFirst();
        }
    }

    /** A heartbeat answer proves the follower is alive: let one more message go if the window is full. */
    void freeOneInflight() {
        if (inflight.size() >= maxInflight) {
            inflight.pollFirst();
        }
    }

    boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflight.size() >= maxInflight;
            case SNAPSHOT -> true;
        };
    }

    @Override
    public String toString() {
        return state + "(match=" + match + ",next=" + next + ",inflight=" + inflight.size() + ")";
    }
}
