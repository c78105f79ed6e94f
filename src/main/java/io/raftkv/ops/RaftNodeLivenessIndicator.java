package io.raftkv.ops;

import io.raftkv.node.RaftKvNode;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code raftNode}, in the liveness group: DOWN only when this node has stopped for good (its storage
 * failed, or its Raft loop died), which a restart may cure. An election or a partition is not a
 * reason to restart, so it does not count here.
 */
@Component("raftNode")
final class RaftNodeLivenessIndicator implements HealthIndicator {
    private final RaftKvNode node;

    RaftNodeLivenessIndicator(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public Health health() {
        return node.storageFailure()
                .map(f -> Health.down().withDetail("failure", f).build())
                .orElseGet(() -> Health.up().build());
    }
}
