package io.raftkv.members;

import java.util.List;

/**
 * What the leader reports of its members ({@link MembershipPort#members()}).
 *
 * @param leaderId      the reporting leader's member id
 * @param members       voters and learners
 * @param changePending a membership change is in the log but not yet committed
 */
public record Members(String leaderId, List<Member> members, boolean changePending) {
    public Members {
        members = List.copyOf(members);
    }
}
