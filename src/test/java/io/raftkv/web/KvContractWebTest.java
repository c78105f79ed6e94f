package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client contract of DESIGN.md and openapi.yaml, over HTTP against one in-process node that
 * leads a cluster of one: status codes, problem+json, ETag and If-Match / If-None-Match, Location,
 * Idempotency-Key, stale reads and paging. Each test uses keys of its own, so the order is free.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.level.root=warn")
class KvContractWebTest extends OneNodeWebTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private WebHttp http() {
        return new WebHttp(port);
    }

    private HttpResponse<String> put(String path, String value, String... headers) {
        return http().send("PUT", path, null, value, headers);
    }

    private static long revision(HttpResponse<String> answer) {
        return Long.parseLong(answer.headers().firstValue("X-Raftkv-Revision").orElseThrow());
    }

    private static JsonNode problem(HttpResponse<String> answer, int status, String slug) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        JsonNode p = JSON.readTree(answer.body());
        assertThat(p.path("type").asString()).isEqualTo(Problems.TYPE_BASE + slug);
        assertThat(p.path("status").asInt()).isEqualTo(status);
        assertThat(p.path("detail").asString()).isNotBlank();
        return p;
    }

    @Test
    void aPutCreatesThenReplacesAndAGetReturnsTheRawValueWithItsRevision() {
        HttpResponse<String> created = put("/kv/c/a%20b", "{\"v\":1}", "Content-Type", "application/json");
        assertThat(created.statusCode()).isEqualTo(201);
        long first = revision(created);
        assertThat(created.headers().firstValue("ETag")).hasValue("\"" + first + "\"");
        assertThat(created.headers().firstValue("Location")).hasValue("/kv/c/a%20b");
        JsonNode body = JSON.readTree(created.body());
        assertThat(body.path("key").asString()).isEqualTo("c/a b");
        assertThat(body.path("created").asBoolean()).isTrue();

        HttpResponse<String> replaced = put("/kv/c/a%20b", "two", "Content-Type", "text/plain");
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(replaced.headers().firstValue("Location")).isEmpty();
        assertThat(revision(replaced)).isGreaterThan(first);

        HttpResponse<String> read = http().get("/kv/c/a%20b", null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("two");
        assertThat(read.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        assertThat(read.headers().firstValue("ETag")).hasValue("\"" + revision(replaced) + "\"");
        assertThat(read.headers().firstValue("X-Raftkv-Create-Revision")).hasValue(Long.toString(first));
        assertThat(read.headers().firstValue("X-Raftkv-Version")).hasValue("2");
    }

    @Test
    void conditionalWritesCompareAndSetOrCreateOnlyAndAFailedConditionIs412() {
        long rev = revision(put("/kv/cas/k", "v1"));
        JsonNode stale = problem(put("/kv/cas/k", "x", "If-Match", "\"" + (rev - 1) + "\""), 412, "precondition-failed");
        assertThat(stale.path("currentRevision").asLong()).isEqualTo(rev);
        assertThat(put("/kv/cas/k", "v2", "If-Match", "\"" + rev + "\"").statusCode()).isEqualTo(200);
        problem(put("/kv/cas/k", "x", "If-None-Match", "*"), 412, "precondition-failed");
        assertThat(put("/kv/cas/new", "v", "If-None-Match", "*").statusCode()).isEqualTo(201);
        JsonNode absent = problem(put("/kv/cas/missing", "x", "If-Match", "*"), 412, "precondition-failed");
        assertThat(absent.path("currentRevision").asLong()).isZero();
        assertThat(http().get("/kv/cas/k", null).body()).as("failed conditions changed nothing").isEqualTo("v2");
        problem(put("/kv/cas/k", "x", "If-Match", "42"), 400, "bad-precondition");
    }

    @Test
    void aReadWithTheCurrentEtagIs304() {
        long rev = revision(put("/kv/etag/k", "v"));
        HttpResponse<String> same = http().send("GET", "/kv/etag/k", null, null, "If-None-Match", "\"" + rev + "\"");
        assertThat(same.statusCode()).isEqualTo(304);
        assertThat(same.body()).isEmpty();
        assertThat(same.headers().firstValue("ETag")).hasValue("\"" + rev + "\"");
        assertThat(http().send("GET", "/kv/etag/k", null, null, "If-None-Match", "\"" + (rev + 1) + "\"").statusCode()).isEqualTo(200);
    }

    @Test
    void aDeleteIs204ThenTheKeyIs404() {
        revision(put("/kv/del/k", "v"));
        HttpResponse<String> deleted = http().delete("/kv/del/k", null);
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(revision(deleted)).isPositive();
        assertThat(problem(http().delete("/kv/del/k", null), 404, "not-found").path("key").asString()).isEqualTo("del/k");
        problem(http().get("/kv/del/k", null), 404, "not-found");
        problem(http().send("DELETE", "/kv/del/k", null, null, "If-None-Match", "*"), 400, "bad-precondition");
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyGetsTheFirstAnswerAndIsAppliedOnce() {
        HttpResponse<String> first = put("/kv/idem/k", "v", "Idempotency-Key", "op-1");
        HttpResponse<String> retry = put("/kv/idem/k", "v", "Idempotency-Key", "op-1");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(retry.statusCode()).as("the first attempt's answer, not 200 for a replace").isEqualTo(201);
        assertThat(revision(retry)).isEqualTo(revision(first));
        assertThat(http().get("/kv/idem/k", null).headers().firstValue("X-Raftkv-Version")).hasValue("1");
        problem(put("/kv/idem/k", "other", "Idempotency-Key", "op-1"), 422, "idempotency-key-reused");
    }

    @Test
    void staleReadsAreServedLocallyAndAnUnknownConsistencyIsRefused() {
        put("/kv/stale/k", "v");
        assertThat(http().get("/kv/stale/k?consistency=stale", null).body()).isEqualTo("v");
        assertThat(http().get("/kv/stale/k?consistency=linearizable", null).body()).isEqualTo("v");
        problem(http().get("/kv/stale/k?consistency=eventual", null), 400, "bad-consistency");
        problem(http().get("/kv?prefix=stale/&consistency=eventual", null), 400, "bad-consistency");
    }

    @Test
    void aListingComesInPagesThatChainByCursor() {
        for (String k : new String[]{"a", "b", "c", "d", "e"}) {
            put("/kv/page/" + k, k);
        }
        List<String> keys = new ArrayList<>();
        String next = null;
        int pages = 0;
        do {
            JsonNode page = JSON.readTree(http().get("/kv?prefix=page/&limit=2" + (next == null ? "" : "&cursor=" + next), null).body());
            page.path("items").forEach(i -> keys.add(i.path("key").asString()));
            next = page.path("next").isNull() ? null : page.path("next").asString();
            pages++;
        } while (next != null && pages < 10);
        assertThat(keys).containsExactly("page/a", "page/b", "page/c", "page/d", "page/e");
        assertThat(pages).isEqualTo(3);
        problem(http().get("/kv?prefix=page/&cursor=***", null), 400, "bad-cursor");
        problem(http().get("/kv?prefix=page/&limit=0", null), 400, "bad-limit");
    }
}
