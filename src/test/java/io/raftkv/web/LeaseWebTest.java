package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leases and TTL keys over HTTP on one in-process node (election timeout 500 ms, so the leader's
 * clock checks every 250 ms): a kept-alive lease's keys stay, an abandoned one's go no sooner than
 * the TTL and soon after it, with watch events that name the lease.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.level.root=warn")
class LeaseWebTest extends OneNodeWebTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private WebHttp http() {
        return new WebHttp(port);
    }

    private long grant(String ttl) {
        HttpResponse<String> r = http().send("POST", "/leases", null, "{\"ttl\":\"" + ttl + "\"}", "Content-Type", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        long id = JSON.readTree(r.body()).path("id").asLong();
        assertThat(r.headers().firstValue("Location")).hasValue("/leases/" + id);
        return id;
    }

    private long put(String path, String value) {
        HttpResponse<String> r = http().send("PUT", path, null, value, "Content-Type", "text/plain");
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return Long.parseLong(r.headers().firstValue("X-Raftkv-Revision").orElseThrow());
    }

    @Test
    void aKeptAliveLeaseKeepsItsKeysAndAnAbandonedOneLosesThemAfterItsTtl() throws Exception {
        long kept = grant("1s");
        // The TTL runs from the grant, which is applied after this moment and before the put below.
        long putAt = System.nanoTime();
        long abandoned = grant("1s");
        long from = put("/kv/l1/kept?lease=" + kept, "k");
        put("/kv/l1/gone?lease=" + abandoned, "g");
        try (EventStream watch = EventStream.open(port, "/watch?prefix=l1/&from=" + from)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            JsonNode deleted = null;
            while (deleted == null && System.nanoTime() < deadline) {
                assertThat(http().send("POST", "/leases/" + kept + "/keepalive", null, null).statusCode()).isEqualTo(200);
                assertThat(http().get("/kv/l1/kept", null).statusCode()).isEqualTo(200);
                try {
                    JsonNode e = watch.next(Duration.ofMillis(250)).data();
                    if (e.path("type").asString().equals("delete")) {
                        deleted = e;
                    }
                } catch (AssertionError noEventYet) {
                    // keep the other lease alive and look again
                }
            }
            long goneAfter = System.nanoTime() - putAt;
            assertThat(deleted).as("the abandoned lease's key is deleted").isNotNull();
            assertThat(deleted.path("key").asString()).isEqualTo("l1/gone");
            assertThat(deleted.path("byLease").asBoolean()).isTrue();
            assertThat(deleted.path("lease").asLong()).isEqualTo(abandoned);
            assertThat(Duration.ofNanos(goneAfter)).isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(Duration.ofSeconds(5));
        }
        assertThat(http().get("/kv/l1/gone", null).statusCode()).isEqualTo(404);
        assertThat(http().get("/kv/l1/kept", null).statusCode()).isEqualTo(200);
        assertThat(http().get("/leases/" + abandoned, null).statusCode()).isEqualTo(404);
        assertThat(http().send("POST", "/leases/" + abandoned + "/keepalive", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void aLeaseShowsItsKeysAndTimeLeftAndRevokingItDeletesThem() {
        long id = grant("60s");
        put("/kv/l2/a?lease=" + id, "1");
        put("/kv/l2/b?lease=" + id, "2");
        JsonNode shown = JSON.readTree(http().get("/leases/" + id, null).body());
        assertThat(shown.path("ttlMillis").asLong()).isEqualTo(60_000);
        assertThat(shown.path("remainingMillis").asLong()).isBetween(1L, 60_000L + 300);
        assertThat(shown.path("keys").toString()).isEqualTo("[\"l2/a\",\"l2/b\"]");

        HttpResponse<String> revoked = http().delete("/leases/" + id, null);
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(revoked.body()).path("deletedKeys").asInt()).isEqualTo(2);
        assertThat(http().get("/kv/l2/a", null).statusCode()).isEqualTo(404);
        assertThat(http().delete("/leases/" + id, null).statusCode()).isEqualTo(404);
    }

    @org.springframework.beans.factory.annotation.Autowired
    io.raftkv.node.RaftKvNode node;

    @Test
    void aTtlPutIsOneEntryAndItsIdempotentRetryGrantsNothingNew() {
        // By id: a lease another test left to expire may end meanwhile, so counting them could not tell.
        Set<Long> leasesBefore = leaseIds();
        HttpResponse<String> first = http().send("PUT", "/kv/l4/svc?ttl=30s", null, "up", "Content-Type", "text/plain",
                "Idempotency-Key", "ttl-put-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        long revision = Long.parseLong(first.headers().firstValue("X-Raftkv-Revision").orElseThrow());
        assertThat(first.headers().firstValue("X-Raftkv-Lease")).as("the lease is the entry's own: its id is the revision")
                .hasValue(Long.toString(revision));
        JsonNode shown = JSON.readTree(http().get("/leases/" + revision, null).body());
        assertThat(shown.path("keys").get(0).asString()).isEqualTo("l4/svc");

        HttpResponse<String> retry = http().send("PUT", "/kv/l4/svc?ttl=30s", null, "up", "Content-Type", "text/plain",
                "Idempotency-Key", "ttl-put-1");
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("X-Raftkv-Revision")).hasValue(Long.toString(revision));
        assertThat(retry.headers().firstValue("X-Raftkv-Lease")).hasValue(Long.toString(revision));

        HttpResponse<String> refused = http().send("PUT", "/kv/l4/svc?ttl=30s", null, "again", "If-None-Match", "*");
        assertThat(refused.statusCode()).isEqualTo(412);
        assertThat(refused.headers().firstValue("X-Raftkv-Lease")).isEmpty();
        Set<Long> granted = leaseIds();
        granted.removeAll(leasesBefore);
        assertThat(granted).as("one lease for the put, none for its retry or the failed put").containsExactly(revision);
    }

    private Set<Long> leaseIds() {
        Set<Long> ids = new HashSet<>();
        node.stateMachine().leases().forEach(l -> ids.add(l.id()));
        return ids;
    }

    @Test
    void aTtlPutMakesALeaseOfItsOwnAndAPutOnAnUnknownLeaseChangesNothing() {
        HttpResponse<String> created = http().send("PUT", "/kv/l3/svc?ttl=30s", null, "up", "Content-Type", "text/plain");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(http().send("PUT", "/kv/l3/svc?ttl=30s", null, "again", "If-None-Match", "*").statusCode()).isEqualTo(412);
        HttpResponse<String> noLease = http().send("PUT", "/kv/l3/x?lease=999999", null, "v");
        assertThat(noLease.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(noLease.body()).path("type").asString()).isEqualTo(Problems.TYPE_BASE + "lease-not-found");
        assertThat(http().get("/kv/l3/x", null).statusCode()).isEqualTo(404);

        assertThat(http().send("PUT", "/kv/l3/x?lease=abc", null, "v").statusCode()).isEqualTo(400);
        assertThat(http().send("PUT", "/kv/l3/x?ttl=10", null, "v").statusCode()).isEqualTo(400);
        assertThat(http().send("PUT", "/kv/l3/x?ttl=10ms", null, "v").statusCode()).isEqualTo(400);
        assertThat(http().send("PUT", "/kv/l3/x?ttl=10s&lease=1", null, "v").statusCode()).isEqualTo(400);
        assertThat(http().send("POST", "/leases", null, "{\"ttl\":10}", "Content-Type", "application/json").statusCode()).isEqualTo(400);
        assertThat(http().send("POST", "/leases", null, "{\"ttl\":\"10s\",\"x\":1}", "Content-Type", "application/json").statusCode()).isEqualTo(400);
        assertThat(http().get("/leases/0", null).statusCode()).isEqualTo(400);
    }
}
