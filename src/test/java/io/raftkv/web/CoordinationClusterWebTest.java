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

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watches, leases and transactions on a three-node cluster in this JVM ({@link InProcessCluster}):
 * every node's watch sends exactly the acknowledged changes in revision order, also after the
 * leader stops; a kept-alive lease's key survives the leader's stop (the new leader extends every
 * lease) and a lease whose keepalives stop is gone soon after its TTL; bank transfers as
 * transactions never change the total; a watch on a follower starts at the leader's read index, and
 * a node that cannot get one refuses a linearizable watch. The last tests stop leaders, so the order
 * is fixed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CoordinationClusterWebTest {
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

    /** A change as the writer saw it acknowledged, and as a watcher must report it. */
    private record Change(String type, String key, long revision) {
    }

    private static WebHttp leader() throws InterruptedException {
        return cluster.http(cluster.awaitLeader(Duration.ofSeconds(10)));
    }

    private static List<Change> writeSome(String prefix, int n, long seed) throws InterruptedException {
        Random random = new Random(seed);
        List<Change> acked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = prefix + random.nextInt(5);
            int kind = random.nextInt(4);
            if (kind == 0) {
                HttpResponse<String> d = leader().delete("/kv/" + key, null);
                if (d.statusCode() == 204) {
                    acked.add(new Change("delete", key, Long.parseLong(d.headers().firstValue("X-Raftkv-Revision").orElseThrow())));
                }
            } else if (kind == 1) {
                String other = prefix + "t" + random.nextInt(3);
                HttpResponse<String> t = leader().send("POST", "/txn", null, "{\"success\":[{\"op\":\"put\",\"key\":\"" + key
                        + "\",\"value\":\"" + i + "\"},{\"op\":\"put\",\"key\":\"" + other + "\",\"value\":\"" + i + "\"}]}",
                        "Content-Type", "application/json");
                assertThat(t.statusCode()).as(t.body()).isEqualTo(200);
                long rev = JSON.readTree(t.body()).path("revision").asLong();
                acked.add(new Change("put", key, rev));
                acked.add(new Change("put", other, rev));
            } else {
                HttpResponse<String> p = leader().send("PUT", "/kv/" + key, null, Integer.toString(i), "Content-Type", "text/plain");
                assertThat(p.statusCode()).as(p.body()).isIn(200, 201);
                acked.add(new Change("put", key, Long.parseLong(p.headers().firstValue("X-Raftkv-Revision").orElseThrow())));
            }
        }
        return acked;
    }

    private static List<Change> read(EventStream s, long untilRevision) {
        List<Change> seen = new ArrayList<>();
        long last = 0;
        while (last < untilRevision) {
            JsonNode e = s.nextChange().data();
            seen.add(new Change(e.path("type").asString(), e.path("key").asString(), e.path("revision").asLong()));
            last = e.path("revision").asLong();
        }
        return seen;
    }

    @Test
    @Order(1)
    void everyNodesWatchSendsExactlyTheAcknowledgedChangesInOrder() throws Exception {
        long from = Long.parseLong(leader().send("PUT", "/kv/c1-start", null, "x").headers().firstValue("X-Raftkv-Revision").orElseThrow());
        Map<String, EventStream> watches = new HashMap<>();
        try {
            for (String id : cluster.ids()) {
                long opening = System.nanoTime();
                EventStream s = EventStream.open(cluster.port(id), "/watch?prefix=c1/&from=" + from);
                assertThat(s.response().statusCode()).as("node %s serves the watch itself", id).isEqualTo(200);
                // The start bookmark sends the headers at once, not with the first change or the 10 s bookmark.
                assertThat(Duration.ofNanos(System.nanoTime() - opening)).isLessThan(Duration.ofSeconds(5));
                watches.put(id, s);
            }
            List<Change> acked = writeSome("c1/", 60, 1);
            long last = acked.get(acked.size() - 1).revision();
            for (String id : cluster.ids()) {
                assertThat(read(watches.get(id), last)).as("node %s", id).isEqualTo(acked);
            }
        } finally {
            watches.values().forEach(EventStream::close);
        }
    }

    @Test
    @Order(2)
    void bankTransfersAsTransactionsNeverChangeTheTotal() throws Exception {
        int accounts = 4;
        for (int a = 0; a < accounts; a++) {
            assertThat(leader().send("PUT", "/kv/bank/" + a, null, "100", "Content-Type", "text/plain").statusCode()).isIn(200, 201);
        }
        List<Thread> clerks = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < 3; c++) {
            long seed = c;
            Thread t = new Thread(() -> {
                Random random = new Random(seed);
                try {
                    for (int i = 0; i < 25; i++) {
                        transfer(random.nextInt(accounts), random.nextInt(accounts), 1 + random.nextInt(20));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            clerks.add(t);
            t.start();
        }
        for (Thread t : clerks) {
            t.join(60_000);
        }
        assertThat(failures).isEmpty();
        // Every node, read at one revision by a transaction of gets, holds the same total.
        StringBuilder gets = new StringBuilder();
        for (int a = 0; a < accounts; a++) {
            gets.append(a == 0 ? "" : ",").append("{\"op\":\"get\",\"key\":\"bank/").append(a).append("\"}");
        }
        JsonNode all = JSON.readTree(leader().send("POST", "/txn", null, "{\"success\":[" + gets + "]}", "Content-Type", "application/json").body());
        long total = 0;
        for (JsonNode r : all.path("results")) {
            total += Long.parseLong(r.path("value").asString());
        }
        assertThat(total).isEqualTo(100L * accounts);
    }

    /** Reads both balances, then moves {@code amount} only if neither changed since (compare modRevision); retries on conflict. */
    private static void transfer(int from, int to, int amount) throws InterruptedException {
        if (from == to) {
            return;
        }
        for (int attempt = 0; attempt < 50; attempt++) {
            JsonNode read = JSON.readTree(leader().send("POST", "/txn", null, "{\"success\":[{\"op\":\"get\",\"key\":\"bank/" + from
                    + "\"},{\"op\":\"get\",\"key\":\"bank/" + to + "\"}]}", "Content-Type", "application/json").body());
            JsonNode a = read.path("results").get(0);
            JsonNode b = read.path("results").get(1);
            long balanceA = Long.parseLong(a.path("value").asString());
            long balanceB = Long.parseLong(b.path("value").asString());
            if (balanceA < amount) {
                return;
            }
            String body = "{\"compare\":[{\"key\":\"bank/" + from + "\",\"target\":\"modRevision\",\"op\":\"==\",\"value\":" + a.path("modRevision").asLong()
                    + "},{\"key\":\"bank/" + to + "\",\"target\":\"modRevision\",\"op\":\"==\",\"value\":" + b.path("modRevision").asLong() + "}],"
                    + "\"success\":[{\"op\":\"put\",\"key\":\"bank/" + from + "\",\"value\":\"" + (balanceA - amount) + "\"},"
                    + "{\"op\":\"put\",\"key\":\"bank/" + to + "\",\"value\":\"" + (balanceB + amount) + "\"}]}";
            HttpResponse<String> r = leader().send("POST", "/txn", null, body, "Content-Type", "application/json");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            if (JSON.readTree(r.body()).path("succeeded").asBoolean()) {
                return;
            }
        }
        throw new AssertionError("a transfer kept conflicting");
    }

    @Test
    @Order(3)
    void aKeptAliveLeaseOutlivesTheLeadersStopAndWatchesGoOnOnTheOtherNodes() throws Exception {
        String old = cluster.awaitLeader(Duration.ofSeconds(10));
        HttpResponse<String> granted = cluster.http(old).send("POST", "/leases", null, "{\"ttl\":\"2s\"}", "Content-Type", "application/json");
        long lease = JSON.readTree(granted.body()).path("id").asLong();
        long from = Long.parseLong(cluster.http(old).send("PUT", "/kv/c3/held?lease=" + lease, null, "mine", "Content-Type", "text/plain")
                .headers().firstValue("X-Raftkv-Revision").orElseThrow());
        List<String> others = cluster.ids().stream().filter(id -> !id.equals(old)).toList();
        Map<String, EventStream> watches = new HashMap<>();
        try {
            for (String id : others) {
                watches.put(id, EventStream.open(cluster.port(id), "/watch?prefix=c3/&from=" + from));
            }
            // Keep the lease alive through the leader's stop and the election, and for three TTLs after: the key never goes away.
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicBoolean keepAlive = new java.util.concurrent.atomic.AtomicBoolean(true);
            // When the last keepalive that was applied was sent: the lease's TTL runs from no earlier than that.
            java.util.concurrent.atomic.AtomicLong lastKeptSent = new java.util.concurrent.atomic.AtomicLong();
            Thread keeper = new Thread(() -> {
                while (keepAlive.get()) {
                    try {
                        long sent = System.nanoTime();
                        HttpResponse<String> kept = leader().send("POST", "/leases/" + lease + "/keepalive", null, null);
                        if (kept.statusCode() == 404) {
                            problems.add(kept.body());
                        } else if (kept.statusCode() == 200) {
                            lastKeptSent.set(sent);
                        }
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // the leader stopped under the request: the next round goes to the new one
                    }
                }
            });
            keeper.start();
            cluster.stop(old);
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (System.nanoTime() < until) {
                assertThat(leader().get("/kv/c3/held", null).statusCode()).isEqualTo(200);
                Thread.sleep(100);
            }
            keepAlive.set(false);
            keeper.join();
            assertThat(problems).isEmpty();
            List<Change> acked = writeSome("c3/", 20, 3);
            long last = acked.get(acked.size() - 1).revision();
            for (String id : others) {
                assertThat(read(watches.get(id), last)).as("node %s", id).isEqualTo(acked);
            }
            // The keepalives stopped: the key goes no sooner than the TTL after the last one, and soon after that.
            String newLeader = cluster.awaitLeader(Duration.ofSeconds(10));
            long deadline = lastKeptSent.get() + Duration.ofSeconds(6).toNanos();
            while (cluster.http(newLeader).get("/kv/c3/held", null).statusCode() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            long goneAfter = System.nanoTime() - lastKeptSent.get();
            assertThat(cluster.http(newLeader).get("/kv/c3/held", null).statusCode()).isEqualTo(404);
            assertThat(Duration.ofNanos(goneAfter)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            for (String id : others) {
                JsonNode e = watches.get(id).nextChange().data();
                assertThat(e.path("type").asString()).isEqualTo("delete");
                assertThat(e.path("key").asString()).isEqualTo("c3/held");
                assertThat(e.path("lease").asLong()).isEqualTo(lease);
            }
        } finally {
            watches.values().forEach(EventStream::close);
        }
    }

    @Test
    @Order(4)
    void aWatchOnAFollowerStartsAtOrAfterAWriteAcknowledgedJustBeforeByTheLeader() throws Exception {
        // Issue 13: "a watch never starts behind a value the client already saw". A follower learns a new
        // commit index only with the leader's next message, so one that waited only for the commit index
        // it knew would start these watches behind the write just acknowledged; it asks the leader for
        // its read index instead.
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
    @Order(5)
    void aNodeCutOffFromTheLeaderRefusesALinearizableWatchRatherThanStartItBehind() throws Exception {
        // Stop leaders until one node is left: alone, and for a while still believing in a leader. Its
        // commit index is all applied, so waiting for it would start the watch at once, behind whatever
        // the others acknowledged; asking the leader for a read index cannot succeed.
        while (cluster.ids().size() > 1) {
            cluster.stop(cluster.awaitLeader(Duration.ofSeconds(10)));
        }
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
