package io.raftkv.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Role;
import org.springframework.stereotype.Component;

/** Gauges of the node's published status and data size, for {@code /actuator/prometheus}. */
@Component
final class RaftMetrics implements MeterBinder {
    private final RaftKvNode node;

    RaftMetrics(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("raft.term", node, n -> n.status().term()).description("current Raft term").register(registry);
        Gauge.builder("raft.commit.index", node, n -> n.status().commitIndex()).register(registry);
        Gauge.builder("raft.applied.index", node, n -> n.status().appliedIndex()).register(registry);
        Gauge.builder("raft.last.index", node, n -> n.status().lastIndex()).register(registry);
        Gauge.builder("raft.leader", node, n -> n.status().role() == Role.LEADER ? 1 : 0)
                .description("1 when this node is the leader").register(registry);
        Gauge.builder("raft.leader.known", node, n -> n.status().leader() != null ? 1 : 0).register(registry);
        Gauge.builder("kv.keys", node, n -> n.stateMachine().keyCount()).description("keys stored").register(registry);
        Gauge.builder("kv.bytes", node, n -> n.stateMachine().dataBytes()).description("bytes of keys and values stored")
                .baseUnit("bytes").register(registry);
    }
}
