package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.cluster.TestPki;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every test of {@link NodeClusterIT} again, with clients on HTTPS ({@code server.ssl.bundle}) and
 * peers on mutual TLS ({@code raftkv.peer.ssl.bundle}) with a certificate per node from a CA made
 * at test time; plus what only TLS can show: a certificate names its member, and renewed
 * certificate files take effect without a restart.
 */
class NodeClusterTlsIT extends NodeClusterIT {
    private TestPki pki;

    @Override
    protected LocalProcessCluster newCluster(Path dir) {
        pki = new TestPki(dir.resolve("pki"));
        return new LocalProcessCluster(3, dir, pki);
    }

    @Override
    protected SSLContext clientTls() {
        return pki.sslContext(null);
    }

    @Override
    protected SSLContext peerTls(String member) {
        return pki.sslContext(member);
    }

    @Test
    void aPeerPresentingAnotherMembersCertificateIsRefused() {
        URI peer = cluster.peerUrl("n1");
        HttpResponse<String> own = new KvHttp(peerTls("n2")).send(asPeer(HttpRequest.newBuilder(peer.resolve("/raft/info")),
                "n2", "test-secret").GET(), false);
        assertThat(own.statusCode()).isEqualTo(200);
        HttpResponse<String> stolen = new KvHttp(peerTls("n3")).send(asPeer(HttpRequest.newBuilder(peer.resolve("/raft/info")),
                "n2", "test-secret").GET(), false);
        assertThat(stolen.statusCode()).as("n3's certificate with n2's name and the right secret").isEqualTo(403);
        assertThat(stolen.body()).contains("does not name member n2");
        Throwable noCertificate = catchThrowable(() -> new KvHttp(clientTls()).send(asPeer(HttpRequest.newBuilder(
                peer.resolve("/raft/info")), "n2", "test-secret").GET(), false));
        assertThat(noCertificate).as("the peer port requires a client certificate").isNotNull();
        String metrics = http.send(HttpRequest.newBuilder(cluster.clientUrl("n1").resolve("/actuator/prometheus")).GET(), false).body();
        assertThat(metrics).containsPattern("raftkv_peer_refused_total\\{[^}]*reason=\"certificate\"[^}]*} [1-9]");
    }

    @Test
    void renewedCertificateFilesTakeEffectWithoutARestart() throws Exception {
        String node = "n3";
        BigInteger oldSerial = served(cluster.clientUrl(node)).getSerialNumber();
        assertThat(served(cluster.peerUrl(node)).getSerialNumber()).isEqualTo(oldSerial);
        BigInteger renewed = cluster.issueCertificate(node).getSerialNumber();
        assertThat(renewed).isNotEqualTo(oldSerial);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(served(cluster.clientUrl(node)).getSerialNumber().equals(renewed)
                && served(cluster.peerUrl(node)).getSerialNumber().equals(renewed)
                && cluster.logs(node).contains("peer TLS bundle 'peer' changed"))) {
            assertThat(System.nanoTime()).as("the renewed certificate is served on both ports and used by the peer client")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
        // The cluster still works through the renewed node, both as a client endpoint and as a peer.
        for (int i = 0; i < 10; i++) {
            assertThat(http.put(cluster.clientUrl(node), "renewed/" + i, "v" + i).statusCode()).isEqualTo(201);
            assertThat(http.get(cluster.clientUrl("n1"), "renewed/" + i).body()).isEqualTo("v" + i);
        }
        cluster.awaitLeader(Duration.ofSeconds(10));
    }

    /** The certificate a node's port presents (connecting as member n1, which the peer port requires). */
    private X509Certificate served(URI base) throws IOException {
        try (SSLSocket s = (SSLSocket) pki.sslContext("n1").getSocketFactory().createSocket(base.getHost(), base.getPort())) {
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }
}
