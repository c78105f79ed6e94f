package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /txn} over HTTP against one in-process node: branches, revisions, idempotency and every refusal. */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"logging.level.root=warn", "raftkv.txn.max-ops=4", "raftkv.limits.max-value-size=1KB"})
class TxnWebTest extends OneNodeWebTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private HttpResponse<String> txn(String body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = "application/json";
        System.arraycopy(headers, 0, all, 2, headers.length);
        return new WebHttp(port).send("POST", "/txn", null, body, all);
    }

    private static JsonNode ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static void problem(HttpResponse<String> r, int status, String slug) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(JSON.readTree(r.body()).path("type").asString()).isEqualTo(Problems.TYPE_BASE + slug);
    }

    @Test
    void aCompareAndSwapOverTwoKeysWritesBothAtOneRevisionOrNeither() {
        JsonNode created = ok(txn("{\"compare\":[{\"key\":\"t/a\",\"target\":\"createRevision\",\"op\":\"==\",\"value\":0}],"
                + "\"success\":[{\"op\":\"put\",\"key\":\"t/a\",\"value\":\"1\"},{\"op\":\"put\",\"key\":\"t/b\",\"valueBase64\":\"AAE=\"}],"
                + "\"failure\":[{\"op\":\"get\",\"key\":\"t/a\"}]}"));
        assertThat(created.path("succeeded").asBoolean()).isTrue();
        long rev = created.path("revision").asLong();
        assertThat(created.path("results").get(0).path("created").asBoolean()).isTrue();

        HttpResponse<String> a = new WebHttp(port).get("/kv/t/a", null);
        HttpResponse<String> b = new WebHttp(port).get("/kv/t/b", null);
        assertThat(a.body()).isEqualTo("1");
        assertThat(a.headers().firstValue("ETag")).hasValue("\"" + rev + "\"");
        assertThat(b.headers().firstValue("ETag")).hasValue("\"" + rev + "\"");

        JsonNode again = ok(txn("{\"compare\":[{\"key\":\"t/a\",\"target\":\"createRevision\",\"op\":\"==\",\"value\":0}],"
                + "\"success\":[{\"op\":\"put\",\"key\":\"t/a\",\"value\":\"2\"}],\"failure\":[{\"op\":\"get\",\"key\":\"t/a\"},{\"op\":\"get\",\"key\":\"t/b\"}]}"));
        assertThat(again.path("succeeded").asBoolean()).isFalse();
        JsonNode getA = again.path("results").get(0);
        assertThat(getA.path("found").asBoolean()).isTrue();
        assertThat(getA.path("value").asString()).isEqualTo("1");
        assertThat(getA.path("modRevision").asLong()).isEqualTo(rev);
        assertThat(again.path("results").get(1).path("valueBase64").asString()).isEqualTo("AAE=");
        assertThat(new WebHttp(port).get("/kv/t/a", null).body()).isEqualTo("1");
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer() {
        String body = "{\"success\":[{\"op\":\"put\",\"key\":\"i/a\",\"value\":\"x\"}]}";
        JsonNode first = ok(txn(body, "Idempotency-Key", "txn-retry-1"));
        new WebHttp(port).send("PUT", "/kv/i/a", null, "changed");
        JsonNode retry = ok(txn(body, "Idempotency-Key", "txn-retry-1"));
        assertThat(retry).isEqualTo(first);
        assertThat(new WebHttp(port).get("/kv/i/a", null).body()).isEqualTo("changed");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"i/a\",\"value\":\"y\"}]}", "Idempotency-Key", "txn-retry-1"),
                422, "idempotency-key-reused");
    }

    @Test
    void badTransactionsAreRefusedWithAProblemAndChangeNothing() {
        problem(txn("not json"), 400, "bad-txn");
        problem(txn("[]"), 400, "bad-txn");
        problem(txn("{\"compare\":[{\"key\":\"x\",\"target\":\"size\",\"op\":\"==\",\"value\":1}]}"), 400, "bad-txn");
        problem(txn("{\"compare\":[{\"key\":\"x\",\"target\":\"version\",\"op\":\"=\",\"value\":1}]}"), 400, "bad-txn");
        problem(txn("{\"compare\":[{\"key\":\"x\",\"target\":\"version\",\"op\":\"==\",\"value\":\"1\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"x\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"x\",\"value\":\"a\",\"valueBase64\":\"YQ==\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"x\",\"valueBase64\":\"%%%\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"x\",\"value\":\"1\"},{\"op\":\"delete\",\"key\":\"x\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"\\ud800\",\"value\":\"1\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[{\"op\":\"rename\",\"key\":\"x\"}]}"), 400, "bad-txn");
        problem(txn("{\"success\":[],\"extra\":1}"), 400, "bad-txn");
        problem(txn("{\"success\":[" + "{\"op\":\"get\",\"key\":\"x\"},".repeat(4) + "{\"op\":\"get\",\"key\":\"x\"}]}"),
                413, "txn-too-large");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"x\",\"value\":\"" + "v".repeat(2000) + "\"}]}"), 413, "txn-too-large");
        problem(txn("{\"success\":[{\"op\":\"put\",\"key\":\"x\",\"value\":\"1\",\"lease\":999999}]}"), 404, "lease-not-found");
        assertThat(new WebHttp(port).get("/kv/x", null).statusCode()).isEqualTo(404);
    }
}
