package io.raftkv.ops;

import io.raftkv.node.RaftKvNode;
import io.raftkv.node.StoreQuota;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code storeQuota}: usage against {@code raftkv.limits.max-store-size}, with {@code alarm: true}
 * while the leader refuses writes for space. It stays UP and is in neither probe group: a full store
 * still serves reads and deletes, and deleting through any node is the cure, so taking the node out
 * of a Service (readiness) or restarting it (liveness) would only make things worse.
 */
@Component("storeQuota")
final class StoreQuotaHealthIndicator implements HealthIndicator {
    private final RaftKvNode node;

    StoreQuotaHealthIndicator(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public Health health() {
        StoreQuota q = node.quota();
        long used = q.usedBytes();
        Health.Builder b = Health.up()
                .withDetail("alarm", q.alarm())
                .withDetail("usedBytes", used)
                .withDetail("pendingBytes", q.pendingBytes())
                .withDetail("quotaBytes", q.quotaBytes())
                .withDetail("usedPercent", Math.round(1000.0 * used / q.quotaBytes()) / 10.0);
        if (q.alarm()) {
            b.withDetail("reason", "writes that would grow the store are refused with 507; reads and deletes work");
        }
        return b.build();
    }
}
