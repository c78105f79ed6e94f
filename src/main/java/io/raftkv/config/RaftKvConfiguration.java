package io.raftkv.config;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.node.ElectionTimer;
import io.raftkv.node.NodeLifecycle;
import io.raftkv.node.NodeLimits;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.RaftConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.web.ProblemErrorReportValve;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardHost;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** Builds the node from {@code raftkv.*} and gives it its lifecycle, its clock and its peer port. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(RaftKvProperties.class)
public class RaftKvConfiguration {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RaftKvConfiguration.class);

    @Bean
    RaftKvNode raftKvNode(RaftKvProperties p, @Value("${server.port:8080}") int serverPort, MeterRegistry registry)
            throws IOException {
        String advertise = p.advertiseUrl() == null || p.advertiseUrl().isBlank()
                ? "http://localhost:" + serverPort : p.advertiseUrl().replaceAll("/+$", "");
        Path dataDir = Path.of(p.dataDir() == null || p.dataDir().isBlank() ? "data/" + p.nodeId() : p.dataDir());
        RaftKvProperties.Timing t = p.timing();
        RaftConfig raft = new RaftConfig(p.nodeId(), t.electionTicks(), t.heartbeatTicks(), 1 << 20, 64,
                t.electionTicks() * 10, true, true);
        RaftKvNode.Settings settings = new RaftKvNode.Settings(p.nodeId(), advertise, dataDir,
                ClusterSpec.parse(p.cluster(), p.nodeId(), p.peerPort()), raft, p.peerSecret(),
                p.snapshot().entries(), p.snapshot().trailingEntries(), p.requests().stepDownGrace(),
                new IdempotencyPolicy(p.idempotency().maxEntries(), p.idempotency().ttl().toMillis()));
        long maxHeap = Runtime.getRuntime().maxMemory();
        NodeLimits limits = p.limits().nodeLimits(maxHeap);
        if (limits.storeQuotaBytes() > maxHeap / 5) {
            log.warn("raftkv.limits.max-store-size ({} bytes) is more than a fifth of the max heap ({} bytes): a snapshot"
                    + " of a full store may not fit in the heap; raise -Xmx or lower the quota", limits.storeQuotaBytes(), maxHeap);
        }
        log.info("{}: store quota {} bytes; at most {} writes ({} bytes) pending, {} entries of apply backlog, {} reads waiting",
                p.nodeId(), limits.storeQuotaBytes(), limits.backpressure().maxPendingWrites(),
                limits.backpressure().maxPendingWriteBytes(), limits.backpressure().maxApplyBacklog(),
                limits.backpressure().maxPendingReads());
        return RaftKvNode.open(settings, new NodeMetrics(registry), limits);
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

    @Bean
    ElectionTimer electionTimer(RaftKvNode node, RaftKvProperties p) {
        return new ElectionTimer(node, p.timing().tick());
    }

    /**
     * The peer port is a second connector of the same server. Both keep an encoded slash (%2F) as
     * it is, so a key may contain one; the key parser decodes it. Both keep a connection open for
     * as many requests as its client sends: Tomcat's default of closing it after 100 made followers
     * reconnect several times a second under load, and raced with clients reusing the connection.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> peerPortConnector(RaftKvProperties p) {
        return factory -> {
            TomcatConnectorCustomizer bothPorts = c -> {
                c.setEncodedSolidusHandling("passthrough");
                if (c.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                    http.setMaxKeepAliveRequests(-1);
                }
            };
            factory.addConnectorCustomizers(bothPorts);
            Connector peer = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
            peer.setPort(p.peerPort());
            bothPorts.customize(peer);
            if (peer.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                // Longer than the peer client's pool keeps idle connections (5 min), for the same
                // reason as server.tomcat.keep-alive-timeout on the client port.
                http.setKeepAliveTimeout((int) Duration.ofMinutes(30).toMillis());
            }
            factory.addAdditionalConnectors(peer);
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
        };
    }
}
