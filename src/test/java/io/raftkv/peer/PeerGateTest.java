package io.raftkv.peer;

import io.raftkv.cluster.TestPki;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RequestVote;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PeerGateTest {
    private static final Membership THREE = new Membership(List.of(new Peer("n1", "http://a:1"),
            new Peer("n2", "http://b:1"), new Peer("raftkv-0", "http://c:1")));
    private static final String CLUSTER = "0123456789abcdef";

    @TempDir
    static Path dir;
    static X509Certificate n2ByCn;
    static X509Certificate podByDns;
    static X509Certificate n2ByDnsOnly;

    @BeforeAll
    static void certificates() {
        TestPki pki = new TestPki(dir);
        n2ByCn = pki.issue("a", "n2", "ip:127.0.0.1");
        podByDns = pki.issue("b", "somebody", "dns:raftkv-0.raftkv-peers.ns.svc.cluster.local");
        n2ByDnsOnly = pki.issue("c", "somebody", "dns:n2");
    }

    private static PeerGate gate(String secret, boolean tls) {
        return new PeerGate(CLUSTER, secret, tls, () -> THREE);
    }

    @Test
    void aMemberOfThisClusterWithTheSecretIsAdmitted() {
        assertThat(gate("s", false).admit("Bearer s", CLUSTER, "n2", null)).isNull();
        assertThat(gate("", false).admit(null, CLUSTER, "n2", null)).isNull();
    }

    @Test
    void eachWrongClaimIsRefusedWithItsReason() {
        assertThat(gate("s", false).admit(null, CLUSTER, "n2", null).reason()).isEqualTo("secret");
        assertThat(gate("s", false).admit("Bearer t", CLUSTER, "n2", null).status()).isEqualTo(401);
        PeerGate.Refusal foreign = gate("s", false).admit("Bearer s", "fedcba9876543210", "n2", null);
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.reason()).isEqualTo("cluster");
        assertThat(gate("s", false).admit("Bearer s", null, "n2", null).reason()).isEqualTo("cluster");
        assertThat(gate("s", false).admit("Bearer s", CLUSTER, null, null).reason()).isEqualTo("non-member");
    }

    @Test
    void aRemovedMemberIsRefusedForGoodButAMemberNotYetKnownIsTaken() {
        // A node behind a membership change must still hear from a leader it has not learned of (etcd does the same).
        PeerGate g = new PeerGate(CLUSTER, "s", false, () -> new Membership(THREE.voters()).withLearner(new Peer("n3", "http://d:1")).without("n3"));
        PeerGate.Refusal removed = g.admit("Bearer s", CLUSTER, "n3", null);
        assertThat(removed.status()).isEqualTo(403);
        assertThat(removed.reason()).isEqualTo("removed");
        assertThat(g.admit("Bearer s", CLUSTER, "n9", null)).isNull();
        assertThat(g.admit("Bearer s", CLUSTER, "n3", null, true)).as("it may still ask GET /raft/info what it is").isNull();
        assertThat(g.admit("Bearer s", CLUSTER, "n3~3fa9c1", null)).as("a later member id of the same name").isNull();
    }

    @Test
    void withPeerTlsTheClientCertificateMustNameTheSender() {
        PeerGate g = gate("s", true);
        assertThat(g.admit("Bearer s", CLUSTER, "n2", new X509Certificate[] {n2ByCn})).isNull();
        assertThat(g.admit("Bearer s", CLUSTER, "n2", new X509Certificate[] {n2ByDnsOnly})).isNull();
        assertThat(g.admit("Bearer s", CLUSTER, "raftkv-0", new X509Certificate[] {podByDns})).isNull();
        assertThat(g.admit("Bearer s", CLUSTER, "n2~3fa9c1", new X509Certificate[] {n2ByCn})).as("the node's name is what it proves").isNull();
        PeerGate.Refusal stolen = g.admit("Bearer s", CLUSTER, "n1", new X509Certificate[] {n2ByCn});
        assertThat(stolen.status()).isEqualTo(403);
        assertThat(stolen.reason()).isEqualTo("certificate");
        assertThat(g.admit("Bearer s", CLUSTER, "n1", null).reason()).isEqualTo("certificate");
        assertThat(g.admit("Bearer s", CLUSTER, "n1", new X509Certificate[0]).reason()).isEqualTo("certificate");
    }

    @Test
    void aDnsNameNamesAMemberOnlyByItsWholeFirstLabel() {
        assertThat(PeerGate.names(podByDns, "raftkv-0")).isTrue();
        assertThat(PeerGate.names(podByDns, "raftkv")).isFalse();
        assertThat(PeerGate.names(podByDns, "raftkv-0.raftkv-peers")).isTrue();
        assertThat(PeerGate.names(podByDns, "somebody")).as("the CN").isTrue();
        assertThat(PeerGate.names(n2ByCn, "n")).isFalse();
        assertThat(PeerGate.names(n2ByCn, "127.0.0.1")).as("an IP address is no member id").isFalse();
    }

    @Test
    void everyMessageMustBeFromTheSender() {
        assertThat(PeerGate.sentBy("n2", List.of(new Heartbeat("n2", "n1", 3, 0, 0)))).isNull();
        PeerGate.Refusal forged = PeerGate.sentBy("n2", List.of(new Heartbeat("n2", "n1", 3, 0, 0),
                new RequestVote("n3", "n1", 9, 0, 0, false, false)));
        assertThat(forged.reason()).isEqualTo("from-mismatch");
        assertThat(forged.status()).isEqualTo(403);
    }

    @Test
    void aBoundedBodyReadsUpToItsLimitAndNoMore() throws Exception {
        assertThat(PeerServlet.BoundedBody.read(new ByteArrayInputStream(new byte[100]), 100)).hasSize(100);
        assertThat(PeerServlet.BoundedBody.read(new ByteArrayInputStream(new byte[101]), 100)).isNull();
        assertThat(PeerServlet.BoundedBody.read(new ByteArrayInputStream(new byte[0]), 100)).isEmpty();
    }
}
