package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import io.raftkv.config.ClusterSpec;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.storage.DurableStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One in-process node of a three-member cluster whose two peers never answer: it can never win an
 * election, so it keeps asking for pre-votes (dissertation §9.6). That is the one state in which
 * the role's spelling differed between {@code /cluster} and health, and in which a client must
 * wait and then get 503 with {@code Retry-After} rather than a redirect.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"raftkv.requests.leader-wait=300ms", "logging.level.root=warn",
                // Its peers are absent by design: their connection failures are not news.
                "logging.level.io.raftkv.node.PeerTransport=error"})
class NoLeaderWebTest {
    private static final int PEER_PORT = WebHttp.freePort();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dataDir;

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void node(DynamicPropertyRegistry r) {
        r.add("raftkv.data-dir", () -> dataDir.toString());
        r.add("raftkv.peer-port", () -> PEER_PORT);
        // Port 1 and 2 on loopback refuse connections at once: two members that are never there.
        String cluster = "n1=http://127.0.0.1:" + PEER_PORT + ",n2=http://127.0.0.1:1,n3=http://127.0.0.1:2";
        r.add("raftkv.cluster", () -> cluster);
        // A directory that already belongs to the cluster: a new one would wait for its absent peers to
        // confirm its identity (IdentityCheck) and never campaign.
        try {
            RaftStorage storage = DurableStorage.open(dataDir);
            storage.bootstrap(ClusterSpec.parse(cluster, "n1", PEER_PORT));
            DurableStorage.close(storage);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }


    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls until the node has started its first pre-vote; it cannot leave that state afterwards. */
    private JsonNode clusterOnceCampaigning() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode view;
        do {
            view = JSON.readTree(get("/cluster").body());
        } while (!view.path("role").asString().equals("pre-candidate") && System.nanoTime() < deadline);
        return view;
    }

    @Test
    void clusterAndHealthSpellTheRoleAlikeAndAsTheContractDoes() throws Exception {
        JsonNode cluster = clusterOnceCampaigning();
        assertThat(cluster.path("role").asString()).isEqualTo("pre-candidate");
        assertThat(cluster.path("leader").isNull()).isTrue();
        assertThat(cluster.path("leaderUrl").isNull()).isTrue();

        HttpResponse<String> health = get("/actuator/health/raft");
        assertThat(health.statusCode()).as("no leader: out of service").isEqualTo(503);
        assertThat(JSON.readTree(health.body()).path("details").path("role").asString()).isEqualTo("pre-candidate");

        List<String> clusterRoles = OpenApiYamlTest.roleEnum("Cluster");
        List<String> memberRoles = OpenApiYamlTest.roleEnum("Member");
        assertThat(clusterRoles).contains(cluster.path("role").asString());
        for (JsonNode m : cluster.path("members")) {
            assertThat(memberRoles).contains(m.path("role").asString());
            assertThat(m.path("role").asString()).isEqualTo(m.path("self").asBoolean() ? "pre-candidate" : "unknown");
        }
    }

    @Test
    void aRequestWaitsForALeaderThenGets503WithRetryAfter() throws Exception {
        clusterOnceCampaigning();
        HttpResponse<String> answer = get("/kv/some/key");
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(answer.headers().firstValue("Location")).as("never a redirect to no one").isEmpty();
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(JSON.readTree(answer.body()).path("type").asString()).isEqualTo(Problems.TYPE_BASE + "no-leader");
    }
}
