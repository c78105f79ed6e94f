package io.raftkv.config;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.members.DesiredSize;
import io.raftkv.members.MembershipDesiredSize;
import io.raftkv.members.MembershipPort;
import io.raftkv.members.NodeMembership;
import io.raftkv.node.ForceNewCluster;
import io.raftkv.node.RaftTicker;
import io.raftkv.node.NodeLifecycle;
import io.raftkv.node.NodeLimits;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.PeerClient;
import io.raftkv.node.LeaseKeeper;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.Restore;
import io.raftkv.raft.RaftConfig;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;

/** Builds the node from {@code raftkv.*} and gives it its lifecycle and its clock; the peer port is io.raftkv.peer's. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({RaftKvProperties.class, CoordinationProperties.class})
public class RaftKvConfiguration {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RaftKvConfiguration.class);

    @Bean
    RaftKvNode raftKvNode(RaftKvProperties p, @Value("${server.port:8080}") int serverPort,
                          @Value("${server.ssl.bundle:}") String clientBundle, SslBundles sslBundles, MeterRegistry registry,
                          ObjectProvider<NodeParts> parts, CoordinationProperties coordination) throws IOException {
        String scheme = clientBundle.isBlank() ? "http" : "https";
        String advertise = p.advertiseUrl() == null || p.advertiseUrl().isBlank()
                ? scheme + "://localhost:" + serverPort : p.advertiseUrl().replaceAll("/+$", "");
        Path dataDir = p.dataPath();
        RaftKvProperties.Timing t = p.timing();
        RaftConfig raft = new RaftConfig(p.nodeId(), t.electionTicks(), t.heartbeatTicks(), RaftKvProperties.MAX_BYTES_PER_MESSAGE, 64,
                t.electionTicks() * 10, true, true, RaftConfig.DEFAULT_PROMOTION_MAX_LAG);
        RaftKvNode.Settings settings = new RaftKvNode.Settings(p.nodeId(), advertise, dataDir,
                ClusterSpec.parse(p.cluster(), p.nodeId(), p.peerPort(), p.peerAdvertiseUrl()), raft, p.peerSecret(),
                p.snapshot().entries(), p.snapshot().trailingEntries(), p.requests().stepDownGrace(),
                new IdempotencyPolicy(p.idempotency().maxEntries(), p.idempotency().ttl().toMillis()),
                p.clusterToken(), peerTls(p, sslBundles));
        long maxHeap = Runtime.getRuntime().maxMemory();
        NodeLimits limits = p.limits().nodeLimits(maxHeap);
        if (limits.storeQuotaBytes() > maxHeap / 5 * 2) {
            log.warn("raftkv.limits.max-store-size ({} bytes) is more than two fifths of the max heap ({} bytes): a snapshot"
                    + " of a full store may not fit in the heap beside it; raise -Xmx or lower the quota", limits.storeQuotaBytes(), maxHeap);
        }
        long memoryLimit = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        MemoryBudget.problems(maxHeap, memoryLimit, limits.storeQuotaBytes(), limits.backpressure().maxPendingWriteBytes(),
                coordination.watch().history().maxBytes(maxHeap)).forEach(problem -> log.warn("{}: {}", p.nodeId(), problem));
        log.info("{}: store quota {} bytes; at most {} writes ({} bytes) pending, {} entries of apply backlog, {} reads waiting",
                p.nodeId(), limits.storeQuotaBytes(), limits.backpressure().maxPendingWrites(),
                limits.backpressure().maxPendingWriteBytes(), limits.backpressure().maxApplyBacklog(),
                limits.backpressure().maxPendingReads());
        NodeMetrics metrics = new NodeMetrics(registry);
        prepareRecovery(p, settings);
        return new RaftKvNode(settings, parts.getIfAvailable(() -> NodeParts.PRODUCTION).create(settings, metrics), metrics, limits);
    }

    /** A restore or a forced new cluster rewrites the data directory before the node opens it. */
    private static void prepareRecovery(RaftKvProperties p, RaftKvNode.Settings settings) throws IOException {
        if (p.restoreFrom() != null) {
            Restore.prepare(settings, Path.of(p.restoreFrom()));
        }
        if (p.forceNewCluster()) {
            ForceNewCluster.prepare(settings);
        }
    }

    private static PeerClient.Tls peerTls(RaftKvProperties p, SslBundles sslBundles) {
        if (!p.peer().ssl().enabled()) {
            return null;
        }
        String name = p.peer().ssl().bundle();
        try {
            return PeerTls.of(name, sslBundles.getBundle(name));
        } catch (NoSuchSslBundleException e) {
            throw new IllegalArgumentException("raftkv.peer.ssl.bundle names '" + name + "', but no spring.ssl.bundle.* defines it", e);
        }
    }

    /** What the autopilot (io.raftkv.members) changes the membership through. */
    @Bean
    MembershipPort membershipPort(RaftKvNode node) {
        return new NodeMembership(node);
    }

    /** The size the autopilot works toward, from the log; in Kubernetes the StatefulSet gives it instead. */
    @Bean
    @ConditionalOnBooleanProperty(name = "raftkv.autopilot.kubernetes.enabled", havingValue = false, matchIfMissing = true)
    DesiredSize desiredSize(RaftKvNode node) {
        return new MembershipDesiredSize(() -> node.status().membership());
    }

    @Bean
    NodeLifecycle nodeLifecycle(RaftKvNode node) {
        return new NodeLifecycle(node);
    }

    @Bean
    NodeLifecycle.LeadershipHandover leadershipHandover(RaftKvNode node, RaftKvProperties p) {
        // Long enough to bring the best follower up to date and run one election.
        Duration wait = p.timing().electionTimeout().multipliedBy(4).plusSeconds(1);
        return new NodeLifecycle.LeadershipHandover(node, wait);
    }

    /** The leader's lease clock; it checks twice per election timeout, so an expiry is late by at most half of one. */
    @Bean(destroyMethod = "close")
    LeaseKeeper leaseKeeper(RaftKvNode node, RaftKvProperties p) {
        Duration election = p.timing().electionTimeout();
        // A randomized election timeout runs up to twice the configured one: extend new leaders' leases by that much.
        return new LeaseKeeper(node, election.multipliedBy(2), election.dividedBy(2), System::nanoTime);
    }

    /**
     * A node that begins to shut down stops timing leases at once: while its server drains, clients
     * can no longer reach it to keep their leases alive, yet it may still lead until it hands over.
     * The next leader gives every lease a whole TTL and an election timeout anew.
     */
    @Bean
    ApplicationListener<ContextClosedEvent> stopLeaseClockOnShutdown(LeaseKeeper keeper) {
        return event -> keeper.close();
    }

    @Bean
    RaftTicker raftTicker(RaftKvNode node, RaftKvProperties p) {
        return new RaftTicker(node, p.timing().tick());
    }
}
