package io.raftkv.raft;

public enum Role {
    FOLLOWER,
    /** Asking for pre-votes (dissertation §9.6) before daring to raise its term. */
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
