package io.raftkv.peer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.config.PeerTls;
import io.raftkv.config.RaftKvProperties;
import io.raftkv.node.RaftKvNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the peer server to the node, and a renewed peer certificate to the outbound client. */
@Configuration(proxyBeanMethods = false)
class PeerServerConfiguration {
    private static final Logger log = LoggerFactory.getLogger(PeerServerConfiguration.class);

    @Bean
    PeerServer peerServer(RaftKvNode node, RaftKvProperties p, SslBundles sslBundles, MeterRegistry registry) {
        boolean tls = p.peer().ssl().enabled();
        String bundle = tls ? p.peer().ssl().bundle() : "";
        if (tls) {
            sslBundles.addBundleUpdateHandler(bundle, b -> {
                node.peerClient().useTls(PeerTls.of(bundle, b));
                log.info("{}: peer TLS bundle '{}' changed; new peer connections use the new certificate", p.nodeId(), bundle);
            });
        }
        if (node.directory().membership().ids().size() > 1 && p.peerSecret().isEmpty() && !tls) {
            log.warn("{}: the peer port {} takes Raft messages from anyone who can reach it: set raftkv.peer-secret "
                    + "(a shared secret) and, better, raftkv.peer.ssl.bundle (mutual TLS between peers)", p.nodeId(), p.peerPort());
        }
        PeerGate gate = new PeerGate(node.clusterId(), p.peerSecret(), tls, node.directory()::membership);
        PeerServlet servlet = new PeerServlet(node, gate, p.peerMaxBodyBytes(),
                reason -> Counter.builder("raftkv.peer.refused").description("peer requests refused, by reason")
                        .tag("reason", reason).register(registry).increment());
        return new PeerServer(p.peerPort(), servlet, bundle, sslBundles, p.peer().maxThreads(), p.peer().maxConnections());
    }
}
