package io.raftkv.ops;

import io.raftkv.node.NodeStatus;
import io.raftkv.node.RaftKvNode;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

/**
 * The {@code raft} health component: role, term, leader, commit and applied index. UP when this
 * node knows a leader and has applied what was committed when it found it (the readiness group
 * includes it); OUT_OF_SERVICE during an election or while catching up; DOWN when the node failed.
 */
@Component("raft")
final class RaftHealthIndicator implements HealthIndicator {
    private final RaftKvNode node;

    RaftHealthIndicator(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public Health health() {
        NodeStatus s = node.status();
        Health.Builder b;
        if (s.failed()) {
            b = Health.down().withDetail("failure", s.failure());
        } else if (s.ready()) {
            b = Health.up();
        } else {
            b = Health.status(Status.OUT_OF_SERVICE).withDetail("reason", s.leader() == null
                    ? "no leader known (an election is running, or this node is cut off from a majority)"
                    : "catching up: applied " + s.appliedIndex() + " of " + s.readyIndex());
        }
        b.withDetail("id", s.id())
                .withDetail("role", s.role().label())
                .withDetail("term", s.term())
                .withDetail("commitIndex", s.commitIndex())
                .withDetail("appliedIndex", s.appliedIndex())
                .withDetail("lastIndex", s.lastIndex())
                .withDetail("members", s.membership().ids());
        if (s.leader() != null) {
            b.withDetail("leader", s.leader());
        }
        return b.build();
    }
}
