package io.raftkv.members;

import java.util.concurrent.CompletableFuture;

/**
 * The node's membership API as autopilot uses it. Every method works on the leader only and
 * otherwise throws {@link io.raftkv.raft.NotLeaderException} (or completes with it). One change at
 * a time: a second one while another is uncommitted fails.
 */
public interface MembershipPort {
    /** The members as this leader sees them. */
    Members members();

    /** Makes a learner a voter; completes once the change is committed. */
    CompletableFuture<?> promote(String memberId);

    /** Removes a voter or a learner; completes once the change is committed. */
    CompletableFuture<?> remove(String memberId);

    /** Hands leadership to this voter; completes once it leads. */
    CompletableFuture<?> transferLeadership(String memberId);
}
