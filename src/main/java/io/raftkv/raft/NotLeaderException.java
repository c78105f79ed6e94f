package io.raftkv.raft;

/** Thrown for proposals and reads on a node that cannot serve them as leader right now. */
public final class NotLeaderException extends RuntimeException {
    private final String leaderHint;

    public NotLeaderException(String leaderHint, String message) {
        super(message);
        this.leaderHint = leaderHint;
    }

    /** The leader this node knows of, or null when it knows none (an election is running). */
    public String leaderHint() {
        return leaderHint;
    }
}
