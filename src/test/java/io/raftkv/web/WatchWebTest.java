package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /watch} and the long poll over HTTP against one in-process node, with a short history
 * (20 events) and bookmarks every 300 ms: event order and ids, resuming with Last-Event-ID, 410 Gone,
 * bookmarks, initial=true, NDJSON and long polls.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"logging.level.root=warn", "raftkv.watch.history.max-events=20", "raftkv.watch.bookmark-interval=300ms"})
class WatchWebTest extends OneNodeWebTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private long put(String key, String value) {
        HttpResponse<String> r = new WebHttp(port).send("PUT", "/kv/" + key, null, value, "Content-Type", "text/plain");
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return Long.parseLong(r.headers().firstValue("X-Raftkv-Revision").orElseThrow());
    }

    private long delete(String key) {
        HttpResponse<String> r = new WebHttp(port).delete("/kv/" + key, null);
        assertThat(r.statusCode()).isEqualTo(204);
        return Long.parseLong(r.headers().firstValue("X-Raftkv-Revision").orElseThrow());
    }

    private long head() {
        return put("head/marker", "x");
    }

    @Test
    void aWatchSendsEveryChangeOfItsPrefixInOrderAndResumesExactlyAfterLastEventId() {
        long from = head();
        long r1;
        long r2;
        long r3;
        try (EventStream s = EventStream.open(port, "/watch?prefix=w1/&from=" + from)) {
            assertThat(s.response().statusCode()).isEqualTo(200);
            assertThat(s.response().headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
            r1 = put("w1/a", "one");
            put("other/x", "not watched");
            r2 = put("w1/b", "two");
            r3 = delete("w1/a");

            EventStream.Event e1 = s.nextChange();
            assertThat(e1.name()).isEqualTo("put");
            assertThat(e1.id()).isEqualTo(Long.toString(r1));
            assertThat(e1.data().path("key").asString()).isEqualTo("w1/a");
            assertThat(e1.data().path("value").asString()).isEqualTo("one");
            assertThat(e1.data().path("revision").asLong()).isEqualTo(r1);
            assertThat(e1.data().path("createRevision").asLong()).isEqualTo(r1);
            assertThat(e1.data().path("version").asLong()).isEqualTo(1);
            assertThat(e1.data().path("contentType").asString()).isEqualTo("text/plain");
            EventStream.Event e2 = s.nextChange();
            assertThat(e2.id()).isEqualTo(Long.toString(r2));
            EventStream.Event e3 = s.nextChange();
            assertThat(e3.name()).isEqualTo("delete");
            assertThat(e3.id()).isEqualTo(Long.toString(r3));
            assertThat(e3.data().path("byLease").isMissingNode()).isTrue();
        }
        try (EventStream resumed = EventStream.open(port, "/watch?prefix=w1/", "Last-Event-ID", Long.toString(r1))) {
            assertThat(resumed.nextChange().id()).isEqualTo(Long.toString(r2));
            assertThat(resumed.nextChange().id()).isEqualTo(Long.toString(r3));
            long r4 = put("w1/c", "four");
            assertThat(resumed.nextChange().id()).isEqualTo(Long.toString(r4));
        }
    }

    @Test
    void aTransactionsEventsShareOneRevisionAndOnlyTheLastCarriesTheId() {
        long from = head();
        try (EventStream s = EventStream.open(port, "/watch?prefix=w2/&from=" + from)) {
            HttpResponse<String> t = new WebHttp(port).send("POST", "/txn", null,
                    "{\"success\":[{\"op\":\"put\",\"key\":\"w2/a\",\"value\":\"1\"},{\"op\":\"put\",\"key\":\"w2/b\",\"value\":\"2\"}]}",
                    "Content-Type", "application/json");
            long rev = JSON.readTree(t.body()).path("revision").asLong();
            EventStream.Event a = s.nextChange();
            EventStream.Event b = s.nextChange();
            assertThat(a.data().path("revision").asLong()).isEqualTo(rev);
            assertThat(b.data().path("revision").asLong()).isEqualTo(rev);
            assertThat(a.id()).isNull();
            assertThat(b.id()).isEqualTo(Long.toString(rev));
        }
    }

    @Test
    void aRevisionOlderThanTheHistoryIsGoneWithTheOldestRevisionToResumeFrom() {
        long old = head();
        for (int i = 0; i < 25; i++) {
            put("w3/k" + i, "v");
        }
        HttpResponse<String> gone = new WebHttp(port).send("GET", "/watch?prefix=w3/&from=" + old, null, null,
                "Accept", "text/event-stream");
        assertThat(gone.statusCode()).isEqualTo(410);
        assertThat(gone.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        JsonNode p = JSON.readTree(gone.body());
        long oldest = p.path("oldestRevision").asLong();
        assertThat(oldest).isGreaterThan(old);
        assertThat(p.path("resumeRevision").asLong()).isEqualTo(old);

        try (EventStream s = EventStream.open(port, "/watch?prefix=w3/&from=" + oldest)) {
            assertThat(s.response().statusCode()).isEqualTo(200);
            assertThat(s.nextChange().data().path("revision").asLong()).isGreaterThan(oldest);
        }
    }

    @Test
    void anIdleWatchGetsBookmarksThatAdvanceWithTheRevisionItMayResumeFrom() {
        long from = head();
        try (EventStream s = EventStream.open(port, "/watch?prefix=w4/&from=" + from)) {
            EventStream.Event first = s.next(Duration.ofSeconds(5));
            assertThat(first.name()).isEqualTo("bookmark");
            assertThat(first.data().path("revision").asLong()).isEqualTo(Long.parseLong(first.id()));
            long later = put("elsewhere/k", "v");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            long seen = Long.parseLong(first.id());
            while (seen < later && System.nanoTime() < deadline) {
                EventStream.Event e = s.next(Duration.ofSeconds(5));
                assertThat(e.name()).isEqualTo("bookmark");
                seen = Long.parseLong(e.id());
            }
            assertThat(seen).isGreaterThanOrEqualTo(later);
        }
    }

    @Test
    void initialTrueSendsTheStateAtARevisionThenTheChangesAfterIt() {
        put("w5/a", "1");
        long b = put("w5/b", "2");
        delete("w5/a");
        try (EventStream s = EventStream.open(port, "/watch?prefix=w5/&initial=true")) {
            EventStream.Event only = s.next();
            assertThat(only.name()).isEqualTo("put");
            assertThat(only.data().path("key").asString()).isEqualTo("w5/b");
            assertThat(only.data().path("initial").asBoolean()).isTrue();
            assertThat(only.data().path("modRevision").asLong()).isEqualTo(b);
            EventStream.Event at = s.next();
            assertThat(at.name()).isEqualTo("bookmark");
            long revision = Long.parseLong(at.id());
            assertThat(revision).isGreaterThan(b);
            long c = put("w5/c", "3");
            EventStream.Event next = s.nextChange();
            assertThat(next.data().path("key").asString()).isEqualTo("w5/c");
            assertThat(next.id()).isEqualTo(Long.toString(c));
        }
    }

    @Test
    void ndjsonGivesTheSameEventsAsJsonLines() {
        long from = head();
        try (EventStream s = EventStream.open(port, "/watch?key=w6/k&from=" + from, "Accept", "application/x-ndjson")) {
            assertThat(s.response().headers().firstValue("Content-Type").orElseThrow()).startsWith("application/x-ndjson");
            put("w6/other", "no");
            long r = put("w6/k", "yes");
            JsonNode e = s.nextChange().data();
            assertThat(e.path("type").asString()).isEqualTo("put");
            assertThat(e.path("key").asString()).isEqualTo("w6/k");
            assertThat(e.path("revision").asLong()).isEqualTo(r);
        }
    }

    /** The README's {@code curl -N} watch, run as written: curl prints each event as it arrives. */
    @Test
    void curlDashNPrintsTheReadmesEventsAsTheyCome() throws Exception {
        put("w8/app/a", "1");
        Process curl = new ProcessBuilder("curl", "-N", "-s", "--max-time", "20",
                "http://localhost:" + port + "/watch?prefix=w8/app/&initial=true").redirectErrorStream(true).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(curl.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("event:put");
            assertThat(out.readLine()).startsWith("data:{\"type\":\"put\",\"key\":\"w8/app/a\"");
            String line;
            while (!(line = out.readLine()).startsWith("data:{\"type\":\"bookmark\"")) {
                assertThat(line).doesNotStartWith("data:");
            }
            long later = put("w8/app/b", "2");
            while (!(line = out.readLine()).startsWith("data:")) {
                assertThat(line).isIn("", "event:put", "id:" + later);
            }
            assertThat(JSON.readTree(line.substring(5)).path("key").asString()).isEqualTo("w8/app/b");
        } finally {
            curl.destroy();
        }
    }

    @Test
    void badWatchesAreRefusedWithAProblem() {
        WebHttp http = new WebHttp(port);
        assertThat(http.get("/watch", null).statusCode()).isEqualTo(400);
        assertThat(http.get("/watch?prefix=a&key=b", null).statusCode()).isEqualTo(400);
        assertThat(http.get("/watch?prefix=a&from=-1", null).statusCode()).isEqualTo(400);
        assertThat(http.get("/watch?prefix=a&from=x", null).statusCode()).isEqualTo(400);
        assertThat(http.get("/watch?prefix=a&initial=yes", null).statusCode()).isEqualTo(400);
        assertThat(http.get("/watch?prefix=a&initial=true&from=3", null).statusCode()).isEqualTo(400);
        HttpResponse<String> notAcceptable = http.send("GET", "/watch?prefix=a", null, null, "Accept", "application/json");
        assertThat(notAcceptable.statusCode()).isEqualTo(406);
        assertThat(notAcceptable.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
    }

    @Test
    void aLongPollAnswersWhenTheKeyChangesAnd304WhenTheWaitEnds() throws Exception {
        long r = put("w7/k", "v1");
        WebHttp http = new WebHttp(port);
        HttpResponse<String> unchanged = http.get("/kv/w7/k?wait=300ms&after=" + r, null);
        assertThat(unchanged.statusCode()).isEqualTo(304);

        CompletableFuture<HttpResponse<String>> poll = CompletableFuture.supplyAsync(() -> http.get("/kv/w7/k?wait=20s&after=" + r, null));
        long r2 = put("w7/k", "v2");
        HttpResponse<String> changed = poll.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(changed.body()).isEqualTo("v2");
        assertThat(changed.headers().firstValue("ETag")).hasValue("\"" + r2 + "\"");

        assertThat(http.get("/kv/w7/k?wait=10s&after=" + (r - 1), null).body()).isEqualTo("v2");
        CompletableFuture<HttpResponse<String>> gone = CompletableFuture.supplyAsync(() -> http.get("/kv/w7/k?wait=20s&after=" + r2, null));
        long r3 = delete("w7/k");
        HttpResponse<String> deleted = gone.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(deleted.statusCode()).isEqualTo(404);
        assertThat(deleted.headers().firstValue("X-Raftkv-Revision")).hasValue(Long.toString(r3));

        assertThat(http.get("/kv/w7/k?wait=forever&after=1", null).statusCode()).isEqualTo(400);
        assertThat(http.get("/kv/w7/k?wait=1s", null).statusCode()).isEqualTo(400);
    }
}
