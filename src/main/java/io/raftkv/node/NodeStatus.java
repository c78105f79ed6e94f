package io.raftkv.node;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Role;

/**
 * A consistent picture of this node, published by the Raft loop after every step, for health,
 * metrics, {@code GET /cluster} and request routing.
 *
 * @param leaderRecentlyHeard whether the leader was heard from within two heartbeats (always true on the leader)
 * @param readyIndex the commit index this node knew when it last learned of a leader: once it has
 *                   applied that much it serves reads that are no older than when it joined in
 */
public record NodeStatus(String id, Role role, long term, String leader, boolean leaderRecentlyHeard, long commitIndex,
                         long appliedIndex, long lastIndex, long firstIndex, long readyIndex, Membership membership,
                         String failure) {

    public boolean isLeader() {
        return role == Role.LEADER;
    }

    /** Whether a request can be routed now: this node leads, or it follows a leader that is demonstrably alive. */
    public boolean routable() {
        return failure == null && leader != null && leaderRecentlyHeard;
    }

    public boolean failed() {
        return failure != null;
    }

    /** Kubernetes readiness: a leader is known and this node has applied what was committed when it found it. */
    public boolean ready() {
        return failure == null && leader != null && appliedIndex >= readyIndex;
    }
}
