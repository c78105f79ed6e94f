package io.raftkv.node;

import io.raftkv.cluster.ClusterHttp;
import io.raftkv.cluster.LocalProcessCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Crashes, restarts and lost majorities on a real three-process cluster. */
class NodeFaultIT {
    private final KvHttp http = new KvHttp();

    private static String other(LocalProcessCluster c, String... not) {
        return c.nodes().stream().filter(n -> !List.of(not).contains(n)).findFirst().orElseThrow();
    }

    private void assertAllReadable(LocalProcessCluster c, Map<String, String> acknowledged, String via) {
        URI node = c.clientUrl(via);
        for (Map.Entry<String, String> e : acknowledged.entrySet()) {
            HttpResponse<String> r = http.get(node, e.getKey());
            assertThat(r.statusCode()).as("acknowledged %s", e.getKey()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(e.getValue());
        }
    }

    @Test
    void killingTheLeaderElectsANewOneWithinTwoSecondsAndLosesNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir)) {
            String leader = c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            Map<String, String> acked;
            try (AcknowledgedWrites w = new AcknowledgedWrites(c, "kill")) {
                w.awaitMore(50);
                long killedAt = System.nanoTime();
                c.kill(leader);
                String next = c.awaitLeader(Duration.ofSeconds(2));
                long electedMs = (System.nanoTime() - killedAt) / 1_000_000;
                System.out.printf("leader %s killed; %s leads after %d ms%n", leader, next, electedMs);
                assertThat(next).isNotEqualTo(leader);
                w.awaitMore(50);
                acked = new LinkedHashMap<>(w.acknowledged);
            }
            assertAllReadable(c, acked, other(c, leader));

            // The old leader comes back on its data and catches up.
            c.start(leader);
            c.awaitReady(Duration.ofSeconds(30));
            String probe = http.put(c.clientUrl(other(c, leader)), "kill/after-restart", "x").body();
            assertThat(probe).contains("\"created\":true");
            URI restarted = c.clientUrl(leader);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            HttpResponse<String> stale;
            do {
                stale = http.get(restarted, "kill/after-restart", "consistency=stale");
            } while (stale.statusCode() != 200 && System.nanoTime() < deadline);
            assertThat(stale.body()).as("the restarted node caught up").isEqualTo("x");
            for (Map.Entry<String, String> e : acked.entrySet()) {
                assertThat(http.get(restarted, e.getKey(), "consistency=stale").body()).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void withTwoOfThreeNodesDownWritesFailCleanlyAndNothingAcknowledgedIsLost(@TempDir Path dir) {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir)) {
            c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            Map<String, String> acked = new LinkedHashMap<>();
            for (int i = 0; i < 20; i++) {
                assertThat(http.put(c.clientUrl(c.nodes().get(i % 3)), "quorum/" + i, "v" + i).statusCode()).isEqualTo(201);
                acked.put("quorum/" + i, "v" + i);
            }
            String survivor = c.nodes().get(0);
            c.kill(c.nodes().get(1));
            c.kill(c.nodes().get(2));
            // Until the survivor notices (an election timeout; CheckQuorum if it led), it may still
            // believe in a leader: wait for it to know it has none, as a client arriving later would find it.
            long noticeBy = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (ClusterHttp.view(c.clientUrl(survivor)).map(v -> v[2] != null).orElse(true)) {
                assertThat(System.nanoTime()).as("the survivor notices its peers are gone").isLessThan(noticeBy);
                Thread.onSpinWait();
            }
            long start = System.nanoTime();
            HttpResponse<String> refused = http.put(c.clientUrl(survivor), "quorum/lost", "never");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(tookMs).as("the client is answered, not left hanging").isLessThan(8_000);
            HttpResponse<String> read = http.get(c.clientUrl(survivor), "quorum/1");
            assertThat(read.statusCode()).as("no linearizable read without a majority").isEqualTo(503);
            assertThat(http.get(c.clientUrl(survivor), "quorum/1", "consistency=stale").body())
                    .as("a stale read still answers").isEqualTo("v1");

            c.start(c.nodes().get(1));
            c.start(c.nodes().get(2));
            c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            assertAllReadable(c, acked, c.nodes().get(2));
            HttpResponse<String> lost = http.get(c.clientUrl(survivor), "quorum/lost");
            assertThat(lost.statusCode()).as("a refused write may have been proposed, but here a 503 came before any majority existed")
                    .isIn(200, 404);
        }
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyAcrossALeaderChangeAppliesOnce(@TempDir Path dir) {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir)) {
            String leader = c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            URI viaFollower = c.clientUrl(other(c, leader));
            HttpResponse<String> first = http.put(viaFollower, "idem/k", "once", "Idempotency-Key", "req-42");
            assertThat(first.statusCode()).isEqualTo(201);
            String revision = first.headers().firstValue("X-Raftkv-Revision").orElseThrow();
            // Someone else changes the key; then leadership moves; then the client's retry arrives.
            assertThat(http.put(viaFollower, "idem/k", "someone else").statusCode()).isEqualTo(200);
            c.stop(leader);
            String next = c.awaitLeader(Duration.ofSeconds(10));
            assertThat(next).isNotEqualTo(leader);
            HttpResponse<String> retry = http.put(c.clientUrl(next), "idem/k", "once", "Idempotency-Key", "req-42");
            assertThat(retry.statusCode()).as("the retry gets the first attempt's answer").isEqualTo(201);
            assertThat(retry.headers().firstValue("X-Raftkv-Revision")).contains(revision);
            HttpResponse<String> now = http.get(c.clientUrl(next), "idem/k");
            assertThat(now.body()).as("the retry was not applied again").isEqualTo("someone else");
            assertThat(now.headers().firstValue("X-Raftkv-Version")).contains("2");
            HttpResponse<String> reused = http.put(c.clientUrl(next), "idem/k", "different", "Idempotency-Key", "req-42");
            assertThat(reused.statusCode()).isEqualTo(422);
        }
    }

    @Test
    void sigtermOnTheLeaderHandsLeadershipOverWithoutAnElectionTimeout(@TempDir Path dir) {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir)) {
            String leader = c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            for (int i = 0; i < 20; i++) {
                http.put(c.clientUrl(leader), "term/" + i, "v");
            }
            c.stop(leader);
            String log = c.logs(leader);
            assertThat(log).contains("handing leadership to").contains("now leads");
            String next = c.awaitLeader(Duration.ofSeconds(1));
            assertThat(next).isNotEqualTo(leader);
            assertThat(http.get(c.clientUrl(next), "term/19").body()).isEqualTo("v");
        }
    }

    @Test
    void aNodeThatMissedCompactedEntriesCatchesUpFromASnapshot(@TempDir Path dir) {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, "--raftkv.snapshot.entries=100",
                "--raftkv.snapshot.trailing-entries=10")) {
            String leader = c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            String lagging = other(c, leader);
            c.kill(lagging);
            for (int i = 0; i < 400; i++) {
                assertThat(http.put(c.clientUrl(leader), "snap/" + (i % 50), "v" + i).statusCode()).isIn(200, 201);
            }
            c.start(lagging);
            c.awaitReady(Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            HttpResponse<String> r;
            do {
                r = http.get(c.clientUrl(lagging), "snap/49", "consistency=stale");
            } while (!"v399".equals(r.body()) && System.nanoTime() < deadline);
            assertThat(r.body()).isEqualTo("v399");
            for (int k = 0; k < 50; k++) {
                assertThat(http.get(c.clientUrl(lagging), "snap/" + k, "consistency=stale").body())
                        .isEqualTo("v" + (350 + k));
            }
            String leaderNow = c.awaitLeader(Duration.ofSeconds(5));
            assertThat(c.logs(leaderNow) + c.logs(leader)).contains("sent snapshot");
        }
    }
}
