package io.raftkv.peer;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.node.MessageCodec;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.ReadIndexRequest;
import io.raftkv.raft.ReadIndexResponse;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.RequestVote;
import io.raftkv.raft.storage.DurableStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The peer servlet on its own: exact routes, the gate before the body, bounded bodies. */
class PeerServletTest {
    private static final Membership THREE = PeerTestNodes.THREE;

    @TempDir
    Path dir;
    private RaftKvNode node;
    private PeerServlet servlet;
    private final List<String> refused = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        node = PeerTestNodes.existingMember(dir);
        servlet = new PeerServlet(node, new PeerGate(node.clusterId(), "s", false, node.directory()::membership), 1000, refused::add);
    }

    @AfterEach
    void close() {
        node.close();
    }

    private MockHttpServletResponse send(String method, String uri, String sender, byte[] body) throws Exception {
        MockHttpServletRequest req = new MockHttpServletRequest(method, uri);
        req.addHeader("Authorization", "Bearer s");
        req.addHeader("X-Raftkv-Cluster", node.clusterId());
        req.addHeader("X-Raftkv-Node", sender);
        if (body != null) {
            req.setContent(body);
        }
        MockHttpServletResponse resp = new MockHttpServletResponse();
        servlet.service(req, resp);
        return resp;
    }

    private static byte[] heartbeat(String from) {
        return MessageCodec.encode(List.of(new Heartbeat(from, "n1", 5, 0, 0)));
    }

    @Test
    void aMembersMessageIsAcceptedAndAnsweredWithWhoWeAre() throws Exception {
        MockHttpServletResponse ok = send("POST", "/raft/append", "n2", heartbeat("n2"));
        assertThat(ok.getStatus()).isEqualTo(204);
        assertThat(ok.getHeader("X-Raftkv-Cluster")).isEqualTo(node.clusterId());
        assertThat(ok.getHeader("X-Raftkv-Node")).isEqualTo("n1");
        MockHttpServletResponse info = send("GET", "/raft/info", "n2", null);
        assertThat(info.getStatus()).isEqualTo(200);
        assertThat(info.getContentAsString()).contains("\"id\":\"n1\"").contains("\"clientUrl\":\"http://127.0.0.1:9\"")
                .contains("\"confirmed\":true");
        assertThat(send("GET", "/raft/info", "n3", null).getContentAsString()).as("n1 never took a message from n3")
                .contains("\"heardFromYou\":false");
        assertThat(refused).isEmpty();
    }

    @Test
    void aNodeWithANewDataDirectoryTakesNoMessagesUntilItsIdentityIsConfirmed(@TempDir Path fresh) throws Exception {
        RaftKvNode newNode = RaftKvNode.open(new RaftKvNode.Settings("n1", "http://127.0.0.1:9", fresh, THREE,
                RaftConfig.defaults("n1"), "s", 1000, 100, Duration.ofSeconds(1), IdempotencyPolicy.defaults(), "", null),
                NodeMetrics.noop());
        try {
            PeerServlet s = new PeerServlet(newNode, new PeerGate(newNode.clusterId(), "s", false, newNode.directory()::membership),
                    1000, refused::add);
            assertThat(newNode.confirmed()).isFalse();
            MockHttpServletRequest req = new MockHttpServletRequest("POST", "/raft/append");
            req.addHeader("Authorization", "Bearer s");
            req.addHeader("X-Raftkv-Cluster", newNode.clusterId());
            req.addHeader("X-Raftkv-Node", "n2");
            req.setContent(heartbeat("n2"));
            MockHttpServletResponse resp = new MockHttpServletResponse();
            s.service(req, resp);
            assertThat(resp.getStatus()).isEqualTo(503);
            assertThat(resp.getContentAsString()).contains("identity-unconfirmed");
            assertThat(newNode.heardFrom("n2")).isFalse();
        } finally {
            newNode.close();
        }
    }

    @Test
    void aJoinMustSayWhereTheJoiningMemberIsReached() throws Exception {
        MockHttpServletResponse noUrl = send("POST", "/raft/join", "n4~3fa9c1", new byte[0]);
        assertThat(noUrl.getStatus()).isEqualTo(400);
        assertThat(noUrl.getContentAsString()).contains("bad-join");
        assertThat(send("GET", "/raft/join", "n4~3fa9c1", null).getStatus()).isEqualTo(405);
    }

    @Test
    void onlyTheExactRawPathsAreRoutes() throws Exception {
        for (String uri : List.of("/raft;x/append", "/raft/append/", "/%72aft/append", "//raft/append", "/RAFT/append",
                "/raft/./append", "/raft", "/", "/kv/x")) {
            MockHttpServletResponse r = send("POST", uri, "n2", heartbeat("n2"));
            assertThat(r.getStatus()).as(uri).isEqualTo(404);
            assertThat(r.getContentType()).as(uri).startsWith("application/problem+json");
        }
        MockHttpServletResponse wrongMethod = send("GET", "/raft/append", "n2", null);
        assertThat(wrongMethod.getStatus()).isEqualTo(405);
        assertThat(wrongMethod.getHeader("Allow")).isEqualTo("POST");
    }

    @Test
    void aMessageInAnotherMembersNameIsRefusedAndCounted() throws Exception {
        byte[] mixed = MessageCodec.encode(List.of(new Heartbeat("n2", "n1", 5, 0, 0), new RequestVote("n3", "n1", 9, 0, 0, false, false)));
        MockHttpServletResponse r = send("POST", "/raft/vote", "n2", mixed);
        assertThat(r.getStatus()).isEqualTo(403);
        assertThat(r.getContentAsString()).contains("a message from n3 was sent by n2");
        assertThat(send("POST", "/raft/append", "", heartbeat("n9")).getStatus()).isEqualTo(403);
        assertThat(refused).containsExactly("from-mismatch", "non-member");
    }

    @Test
    void aForwardedReadPassesTheSameChecksAsEveryOtherPeerMessage() throws Exception {
        byte[] read = MessageCodec.encode(List.of(new ReadIndexRequest("n2", "n1", 5, 7)));
        assertThat(send("POST", "/raft/append", "n2", read).getStatus()).isEqualTo(204);
        assertThat(send("POST", "/raft/vote", "n2", read).getStatus()).as("only on the heartbeats' endpoint").isEqualTo(400);
        assertThat(send("POST", "/raft/append", "n3", read).getStatus()).as("sent in another member's name").isEqualTo(403);
        MockHttpServletRequest otherCluster = new MockHttpServletRequest("POST", "/raft/append");
        otherCluster.addHeader("Authorization", "Bearer s");
        otherCluster.addHeader("X-Raftkv-Cluster", "another-cluster");
        otherCluster.addHeader("X-Raftkv-Node", "n2");
        otherCluster.setContent(MessageCodec.encode(List.of(new ReadIndexResponse("n2", "n1", 5, 7, 40))));
        MockHttpServletResponse refusedCluster = new MockHttpServletResponse();
        servlet.service(otherCluster, refusedCluster);
        assertThat(refusedCluster.getStatus()).isEqualTo(403);
        MockHttpServletRequest noSecret = new MockHttpServletRequest("POST", "/raft/append");
        noSecret.addHeader("X-Raftkv-Cluster", node.clusterId());
        noSecret.addHeader("X-Raftkv-Node", "n2");
        noSecret.setContent(read);
        MockHttpServletResponse refusedSecret = new MockHttpServletResponse();
        servlet.service(noSecret, refusedSecret);
        assertThat(refusedSecret.getStatus()).isEqualTo(401);
        assertThat(refused).containsExactly("from-mismatch", "cluster", "secret");
    }

    @Test
    void aBodyPastTheLimitIsRefusedWithoutDecodingIt() throws Exception {
        MockHttpServletResponse big = send("POST", "/raft/append", "n2", new byte[1001]);
        assertThat(big.getStatus()).isEqualTo(413);
        assertThat(big.getContentAsString()).contains("at most 1000 bytes");
        MockHttpServletRequest lying = new MockHttpServletRequest("POST", "/raft/snapshot");
        lying.addHeader("Authorization", "Bearer s");
        lying.addHeader("X-Raftkv-Cluster", node.clusterId());
        lying.addHeader("X-Raftkv-Node", "n2");
        for (String[] h : new String[][] {{"X-Raftkv-To", "n1"}, {"X-Raftkv-Term", "5"}, {"X-Raftkv-Snapshot-Index", "10"},
                {"X-Raftkv-Snapshot-Term", "5"}, {"X-Raftkv-Offset", "0"}, {"X-Raftkv-Last", "false"}}) {
            lying.addHeader(h[0], h[1]);
        }
        lying.setContent(new byte[(1 << 20) + 1]);
        MockHttpServletResponse chunk = new MockHttpServletResponse();
        servlet.service(lying, chunk);
        assertThat(chunk.getStatus()).as("a snapshot chunk is bounded too").isEqualTo(413);
    }
}
