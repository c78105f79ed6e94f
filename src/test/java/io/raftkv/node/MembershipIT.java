package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Growing a real cluster from three voters to five through {@code /cluster/members}, and shrinking it
 * back, the leader included, while a writer keeps writing: no acknowledged write is lost.
 */
class MembershipIT {
    private final KvHttp http = new KvHttp();

    @Test
    void growToFiveAndShrinkToThreeWithTheLeaderRemovedLosesNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, "--raftkv.autopilot.enabled=false")) {
            c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            URI n1 = c.clientUrl("n1");
            Map<String, String> acknowledged;
            try (AcknowledgedWrites w = new AcknowledgedWrites(c, "grow")) {
                // Grow: each new node joins as a learner by itself, and is promoted once caught up.
                for (int k = 0; k < 2; k++) {
                    String name = c.addNode();
                    String learner = MembersApi.await(n1, name, "learner");
                    HttpResponse<String> promoted = MembersApi.change(n1, "POST", "/cluster/members/" + learner + "/promote");
                    assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
                    MembersApi.await(n1, name, "voter");
                }
                assertThat(MembersApi.send(n1, "GET", "/cluster/members").body()).contains("\"failureTolerance\":2");

                // Shrink: a follower, then the leader (which hands leadership over first).
                String leader = c.awaitLeader(Duration.ofSeconds(30));
                String follower = c.nodes().stream().filter(n -> !n.equals(Peer.nameOf(leader)) && !n.equals("n1"))
                        .reduce((a, b) -> b).orElseThrow();
                String followerId = MembersApi.await(n1, follower, "voter");
                assertThat(MembersApi.change(n1, "DELETE", "/cluster/members/" + followerId).statusCode()).isEqualTo(204);
                HttpResponse<String> leaderGone = MembersApi.change(c.clientUrl(Peer.nameOf(leader)), "DELETE",
                        "/cluster/members/" + leader);
                assertThat(leaderGone.statusCode()).as(leaderGone.body()).isEqualTo(204);
                c.stop(follower);
                c.stop(Peer.nameOf(leader));
                acknowledged = w.acknowledged;
                MembersApi.sleep(500); // writes keep going on the three left
            }
            URI survivor = c.clientUrl(c.nodes().stream().filter(c::isRunning).findFirst().orElseThrow());
            String members = MembersApi.send(survivor, "GET", "/cluster/members").body();
            assertThat(members.split("\"role\":\"voter\"", -1)).as(members).hasSize(4);
            assertThat(members).contains("\"failureTolerance\":1");
            assertThat(acknowledged).hasSizeGreaterThan(20);
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                HttpResponse<String> r = http.get(survivor, e.getKey());
                assertThat(r.statusCode()).as("acknowledged %s", e.getKey()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void theAutopilotFollowsTheDesiredSizeUpToFiveAndBackToThree(@TempDir Path dir) throws Exception {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, "--raftkv.autopilot.interval=500ms",
                "--raftkv.autopilot.stable-for=1s")) {
            c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            URI n1 = c.clientUrl("n1");
            Map<String, String> acknowledged;
            try (AcknowledgedWrites w = new AcknowledgedWrites(c, "grow")) {
                HttpResponse<String> five = putSize(n1, 5);
                assertThat(five.statusCode()).as(five.body()).isEqualTo(200);
                String n4 = c.addNode();
                String n5 = c.addNode();
                MembersApi.await(n1, n4, "voter");
                MembersApi.await(n1, n5, "voter");
                assertThat(MembersApi.send(n1, "GET", "/cluster/size").body()).contains("\"size\":5").contains("\"voters\":5");

                // Scale-down removes the highest ordinals first.
                assertThat(putSize(n1, 3).statusCode()).isEqualTo(200);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                String members = MembersApi.send(n1, "GET", "/cluster/members").body();
                while (members.contains("\"name\":\"n4\"") || members.contains("\"name\":\"n5\"")) {
                    assertThat(System.nanoTime()).as("n4 and n5 are removed: " + members).isLessThan(deadline);
                    MembersApi.sleep(200);
                    members = MembersApi.send(n1, "GET", "/cluster/members").body();
                }
                assertThat(members).contains("\"failureTolerance\":1");
                acknowledged = w.acknowledged;
            }
            c.stop("n4");
            c.stop("n5");
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                HttpResponse<String> r = http.get(n1, e.getKey());
                assertThat(r.statusCode()).as("acknowledged %s", e.getKey()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(e.getValue());
            }
            assertThat(putSize(n1, 0).statusCode()).as("a size of no voters").isEqualTo(400);
        }
    }

    private static HttpResponse<String> putSize(URI node, int size) throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
        URI target = node.resolve("/cluster/size");
        HttpResponse<String> r;
        do {
            r = client.send(java.net.http.HttpRequest.newBuilder(target).header("Content-Type", "application/json")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"size\":" + size + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            target = r.statusCode() == 307 ? URI.create(r.headers().firstValue("Location").orElseThrow()) : null;
        } while (target != null);
        return r;
    }
}
