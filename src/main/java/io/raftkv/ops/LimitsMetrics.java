package io.raftkv.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftkv.node.Backpressure;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.StoreQuota;
import org.springframework.stereotype.Component;

/**
 * Gauges of the store quota and of client work against its bounds; refusals are counted by the node
 * as {@code raftkv.requests.refused{reason}}.
 */
@Component
final class LimitsMetrics implements MeterBinder {
    private final RaftKvNode node;

    LimitsMetrics(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        StoreQuota q = node.quota();
        Gauge.builder("kv.quota.used", q, StoreQuota::usedBytes).baseUnit("bytes")
                .description("what the stored data counts against raftkv.limits.max-store-size").register(registry);
        Gauge.builder("kv.quota.pending", q, StoreQuota::pendingBytes).baseUnit("bytes")
                .description("quota reserved by writes proposed and not yet applied").register(registry);
        Gauge.builder("kv.quota.limit", q, StoreQuota::quotaBytes).baseUnit("bytes")
                .description("raftkv.limits.max-store-size").register(registry);
        Gauge.builder("kv.quota.exceeded", q, x -> x.alarm() ? 1 : 0)
                .description("1 while writes are refused with 507 for space").register(registry);
        Backpressure bp = node.backpressure();
        Gauge.builder("raftkv.pending.writes", bp, Backpressure::pendingWrites)
                .description("writes admitted on this node and not yet applied").register(registry);
        Gauge.builder("raftkv.pending.write.bytes", bp, Backpressure::pendingWriteBytes).baseUnit("bytes")
                .description("bytes of the writes admitted and not yet applied").register(registry);
        Gauge.builder("raftkv.pending.reads", bp, Backpressure::pendingReads)
                .description("linearizable reads waiting for their read index").register(registry);
        Gauge.builder("raftkv.apply.backlog", node, n -> Math.max(0, n.status().commitIndex() - n.stateMachine().appliedIndex()))
                .description("committed entries not yet applied on this node").register(registry);
    }
}
