package io.raftkv.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web layer on a three-node cluster in this JVM ({@link InProcessCluster}): the contract's
 * routing rules (DESIGN.md) where they matter, between nodes. A follower answers a write or a
 * linearizable read with 307 and {@code Location:} the leader's client URL with the same path and
 * query; every node's {@code /cluster} names the same leader; writes in flight when the leader stops
 * are answered truly, and no node sends a client to the stopped one. The last test stops the
 * leader, so the order is fixed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterWebTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dataDir;
    static InProcessCluster cluster;

    @BeforeAll
    static void start() {
        cluster = new InProcessCluster(3, dataDir);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static String follower(String leader) {
        return cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    /** Sends the request to where a 307 points, as {@code curl -L} does. */
    private static HttpResponse<String> follow(HttpResponse<String> redirect, String method, String body, String... headers) {
        URI to = URI.create(redirect.headers().firstValue("Location").orElseThrow());
        return new WebHttp(to.getPort()).send(method, to.getRawPath() + (to.getRawQuery() == null ? "" : "?" + to.getRawQuery()),
                null, body, headers);
    }

    @Test
    @Order(1)
    void aFollowerRedirectsWritesAndReadsToTheLeaderWithTheSamePathAndQuery() throws Exception {
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        String follower = follower(leader);

        HttpResponse<String> put = cluster.http(follower).send("PUT", "/kv/dir/a%20b", null, "v1", "Idempotency-Key", "w-1");
        assertThat(put.statusCode()).isEqualTo(307);
        assertThat(put.headers().firstValue("Location")).hasValue(cluster.clientUrl(leader) + "/kv/dir/a%20b");
        assertThat(put.headers().firstValue("X-Raftkv-Leader")).hasValue(leader);
        assertThat(cluster.http(follower).get("/kv/dir/a%20b?consistency=stale", null).statusCode())
                .as("a redirect writes nothing").isEqualTo(404);

        assertThat(follow(put, "PUT", "v1", "Idempotency-Key", "w-1").statusCode()).isEqualTo(201);

        HttpResponse<String> get = cluster.http(follower).get("/kv/dir/a%20b?consistency=linearizable", null);
        assertThat(get.statusCode()).isEqualTo(307);
        assertThat(get.headers().firstValue("Location")).hasValue(cluster.clientUrl(leader) + "/kv/dir/a%20b?consistency=linearizable");
        assertThat(follow(get, "GET", null).body()).isEqualTo("v1");
    }

    @Test
    @Order(2)
    void everyNodeNamesTheSameLeaderAndItsUrl() throws Exception {
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        for (String id : cluster.ids()) {
            JsonNode view = JSON.readTree(cluster.http(id).get("/cluster", null).body());
            assertThat(view.path("leader").asString()).isEqualTo(leader);
            assertThat(view.path("leaderUrl").asString()).isEqualTo(cluster.clientUrl(leader));
            assertThat(view.path("role").asString()).isEqualTo(id.equals(leader) ? "leader" : "follower");
            int leaders = 0;
            for (JsonNode m : view.path("members")) {
                leaders += m.path("role").asString().equals("leader") ? 1 : 0;
                String member = m.path("id").asString();
                if (member.equals(id) || member.equals(leader)) {
                    // Followers never talk to each other, so each knows only its own URL and the leader's.
                    assertThat(m.path("clientUrl").asString()).isEqualTo(cluster.clientUrl(member));
                }
            }
            assertThat(leaders).isEqualTo(1);
        }
    }

    @Test
    @Order(3)
    void writesInFlightWhenTheLeaderStopsGetTrueAnswersAndNoNodeSendsAClientToIt() throws Exception {
        String old = cluster.awaitLeader(Duration.ofSeconds(10));
        HttpClient client = HttpClient.newHttpClient();
        Map<String, CompletableFuture<HttpResponse<String>>> inFlight = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            String key = "in-flight/" + i;
            inFlight.put(key, client.sendAsync(HttpRequest.newBuilder(URI.create(cluster.clientUrl(old) + "/kv/" + key))
                    .header("Idempotency-Key", key).PUT(HttpRequest.BodyPublishers.ofString("v")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        cluster.stop(old);
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        assertThat(leader).isNotEqualTo(old);

        // "Never silence, never a false OK" (DESIGN.md): what a client was told must match what the cluster holds.
        for (Map.Entry<String, CompletableFuture<HttpResponse<String>>> w : inFlight.entrySet()) {
            String told = answer(w.getValue());
            int stored = cluster.http(leader).get("/kv/" + w.getKey(), null).statusCode();
            switch (told) {
                case "201" -> assertThat(stored).as("%s was acknowledged", w.getKey()).isEqualTo(200);
                // A request that arrives after the handover is sent on: nothing of it was written here.
                case "307", "not-applied", "node-failed", "no-leader", "too-many-requests" ->
                        assertThat(stored).as("%s was answered %s, so it must never apply", w.getKey(), told).isEqualTo(404);
                case "outcome-unknown", "no answer" -> assertThat(stored).isIn(200, 404);
                default -> throw new AssertionError(w.getKey() + ": an answer the contract does not allow here: " + told);
            }
        }

        for (String id : cluster.ids()) {
            HttpResponse<String> put = cluster.http(id).send("PUT", "/kv/after-stop/" + id, null, "v", "Idempotency-Key", "after-" + id);
            if (id.equals(leader)) {
                assertThat(put.statusCode()).isEqualTo(201);
            } else {
                assertThat(put.statusCode()).isEqualTo(307);
                assertThat(put.headers().firstValue("Location")).hasValue(cluster.clientUrl(leader) + "/kv/after-stop/" + id);
                assertThat(follow(put, "PUT", "v", "Idempotency-Key", "after-" + id).statusCode()).isEqualTo(201);
            }
        }
    }

    /** The status, or for a 503 its problem type; "no answer" when the connection ended without one. */
    private static String answer(CompletableFuture<HttpResponse<String>> reply) throws Exception {
        HttpResponse<String> r;
        try {
            r = reply.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return "no answer";
        }
        if (r.statusCode() == 503 || r.statusCode() == 429) {
            String type = JSON.readTree(r.body()).path("type").asString();
            return type.substring(type.lastIndexOf('/') + 1);
        }
        return Integer.toString(r.statusCode());
    }
}
