package io.raftkv.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A watch on a follower starts at a linearizable read point (issue 13: "a watch never starts behind a
 * value the client already saw"): the follower asks the leader for its read index and applies up to
 * it first. A follower learns a new commit index only with the leader's next message, so a follower
 * that waited only for the commit index it knew would start these watches behind the write just
 * acknowledged.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FollowerReadWebTest {
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

    @Test
    @Order(1)
    void aWatchOnAFollowerStartsAtOrAfterAWriteAcknowledgedJustBeforeByTheLeader() throws Exception {
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        List<String> followers = cluster.ids().stream().filter(id -> !id.equals(leader)).toList();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> put = cluster.http(leader).send("PUT", "/kv/fr/k", null, "v" + i, "Content-Type", "text/plain");
            assertThat(put.statusCode()).as(put.body()).isIn(200, 201);
            long acked = Long.parseLong(put.headers().firstValue("X-Raftkv-Revision").orElseThrow());
            String follower = followers.get(i % followers.size());
            String query = i % 2 == 0 ? "/watch?key=fr/k&initial=true" : "/watch?key=fr/k";
            try (EventStream s = EventStream.open(cluster.port(follower), query)) {
                assertThat(s.response().statusCode()).as("%s serves the watch itself", follower).isEqualTo(200);
                long startsAt = Long.parseLong(s.response().headers().firstValue("X-Raftkv-Revision").orElseThrow());
                assertThat(startsAt).as("write %d acknowledged at %d, watch on %s", i, acked, follower).isGreaterThanOrEqualTo(acked);
                if (i % 2 == 0) {
                    EventStream.Event first = s.next();
                    assertThat(first.data().path("initial").asBoolean()).isTrue();
                    assertThat(first.data().path("value").asString()).isEqualTo("v" + i);
                }
            }
        }
    }

    @Test
    @Order(2)
    void aNodeCutOffFromTheLeaderRefusesALinearizableWatchRatherThanStartItBehind() throws Exception {
        // Stop the leader, then the next one: the last node is alone, and for a while still believes in
        // a leader. Its commit index is all applied, so waiting for it would start the watch at once,
        // behind whatever the others acknowledged; asking the leader for a read index cannot succeed.
        cluster.stop(cluster.awaitLeader(Duration.ofSeconds(10)));
        cluster.stop(cluster.awaitLeader(Duration.ofSeconds(10)));
        String last = cluster.ids().get(0);
        // Opened as a stream: a watch served stale would never end, and must fail here, not hang.
        try (EventStream refused = EventStream.open(cluster.port(last), "/watch?key=fr/k")) {
            assertThat(refused.response().statusCode()).isEqualTo(503);
        }
        assertThat(cluster.http(last).get("/watch?key=fr/k&initial=true", null).body()).contains("not-caught-up");
        try (EventStream s = EventStream.open(cluster.port(last), "/watch?key=fr/k&consistency=stale")) {
            assertThat(s.response().statusCode()).as("a stale watch is the caller's explicit choice").isEqualTo(200);
        }
    }
}
