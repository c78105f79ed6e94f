package io.raftkv.members;

import java.util.List;
import java.util.OptionalInt;

/**
 * Everything the planner decides on: the members as the leader sees them, the desired number of
 * voters (empty while nobody set one) and the minimum number of voters autopilot keeps.
 */
public record ClusterView(String leaderId, List<Member> members, boolean changePending, OptionalInt desiredSize,
                          int minVoters) {
    public ClusterView {
        members = List.copyOf(members);
        if (minVoters < 1) {
            throw new IllegalArgumentException("minVoters must be at least 1 (got " + minVoters + ")");
        }
    }

    public static ClusterView of(Members m, OptionalInt desiredSize, int minVoters) {
        return new ClusterView(m.leaderId(), m.members(), m.changePending(), desiredSize, minVoters);
    }

    public List<Member> voters() {
        return members.stream().filter(Member::voter).toList();
    }

    public List<Member> learners() {
        return members.stream().filter(m -> !m.voter()).toList();
    }
}
