package io.raftkv.jepsen;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.raftkv.check.KvOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** How the recording client classifies what the servers answer: two fake nodes play each scenario. */
class RecordingClientTest {
    private record Seen(String node, String method, String body, String idempotencyKey, String ifMatch, String ifNoneMatch) {
    }

    private record Reply(int status, Map<String, String> headers, String body, long delayMillis) {
        static Reply of(int status, String body, String... headers) {
            Map<String, String> h = new LinkedHashMap<>();
            for (int i = 0; i < headers.length; i += 2) {
                h.put(headers[i], headers[i + 1]);
            }
            return new Reply(status, h, body, 0);
        }

        static Reply problem(String type) {
            return of(503, "{\"type\":\"https://raftkv.io/problems/" + type + "\",\"status\":503}",
                    "Content-Type", "application/problem+json", "Retry-After", "1");
        }
    }

    private final List<HttpServer> servers = new ArrayList<>();
    private final Map<String, URI> nodes = new LinkedHashMap<>();
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private volatile Function<Seen, Reply> script;
    private final History history = new History();

    @BeforeEach
    void startNodes() throws IOException {
        for (String id : List.of("n1", "n2")) {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            s.createContext("/", ex -> handle(id, ex));
            s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            s.start();
            servers.add(s);
            nodes.put(id, URI.create("http://127.0.0.1:" + s.getAddress().getPort()));
        }
    }

    @AfterEach
    void stopNodes() {
        servers.forEach(s -> s.stop(0));
    }

    private void handle(String node, HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Seen s = new Seen(node, ex.getRequestMethod(), body, ex.getRequestHeaders().getFirst("Idempotency-Key"),
                ex.getRequestHeaders().getFirst("If-Match"), ex.getRequestHeaders().getFirst("If-None-Match"));
        seen.add(s);
        Reply r = script.apply(s);
        if (r.delayMillis() > 0) {
            try {
                Thread.sleep(r.delayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        r.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        byte[] out = r.body() == null ? new byte[0] : r.body().getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
            ex.getResponseBody().write(out);
        }
        ex.close();
    }

    private RecordingClient client(Duration opTimeout) {
        // Client 0 starts at n1.
        return new RecordingClient(0, nodes, history, new RecordingClient.Config(Duration.ofMillis(300), opTimeout, 5), 1);
    }

    @Test
    void followsRedirectsToTheLeaderResendingTheBody() {
        script = s -> s.node().equals("n1")
                ? Reply.of(307, null, "Location", "http://elsewhere.invalid:1/kv/k", "X-Raftkv-Leader", "n2")
                : Reply.of(201, "{}", "X-Raftkv-Revision", "7", "ETag", "\"7\"");
        RecordingClient c = client(Duration.ofSeconds(2));
        Op op = c.run(c.putCall("k", "v1"));
        assertThat(op.outcome()).as(op.toString()).isEqualTo(KvOp.Outcome.OK);
        assertThat(op.revision()).isEqualTo(7);
        assertThat(op.attempts()).extracting(Op.Attempt::node).containsExactly("n1", "n2");
        List<Seen> all = List.copyOf(seen);
        assertThat(all).extracting(Seen::body).containsExactly("v1", "v1");
        assertThat(all.get(0).idempotencyKey()).isNotNull().isEqualTo(all.get(1).idempotencyKey());
        assertThat(history.ops()).containsExactly(op);
    }

    @Test
    void retriesNoLeaderOnAnotherNodeAndSucceeds() {
        script = s -> s.node().equals("n1") ? Reply.problem("no-leader") : Reply.of(204, null, "X-Raftkv-Revision", "9");
        RecordingClient c = client(Duration.ofSeconds(2));
        Op op = c.run(c.deleteCall("k"));
        assertThat(op.outcome()).as(op.toString()).isEqualTo(KvOp.Outcome.OK);
        assertThat(op.attempts()).extracting(Op.Attempt::status).containsExactly(503, 204);
    }

    @Test
    void writeThatOnlyEverGotNoLeaderCertainlyFailed() {
        script = s -> Reply.problem("no-leader");
        RecordingClient c = client(Duration.ofMillis(400));
        Op op = c.run(c.putCall("k", "v"));
        assertThat(op.outcome()).as(op.toString()).isEqualTo(KvOp.Outcome.FAILED);
        assertThat(op.attempts()).hasSizeGreaterThan(1).allMatch(a -> "no-leader".equals(a.detail()));
    }

    @Test
    void writeWhoseOutcomeIsUnknownStaysUnknownEvenIfLaterAttemptsWereNotApplied() {
        script = s -> s.node().equals("n1") ? Reply.problem("outcome-unknown") : Reply.problem("not-applied");
        RecordingClient c = client(Duration.ofMillis(400));
        Op op = c.run(c.putCall("k", "v"));
        assertThat(op.outcome()).as(op.toString()).isEqualTo(KvOp.Outcome.UNKNOWN);
        assertThat(seen).extracting(Seen::idempotencyKey).containsOnly(op.idempotencyKey());
    }

    @Test
    void timedOutWriteIsUnknownAndTimedOutReadFailed() {
        script = s -> new Reply(200, Map.of(), "late", 2_000);
        RecordingClient c = client(Duration.ofMillis(500));
        assertThat(c.run(c.putCall("k", "v")).outcome()).isEqualTo(KvOp.Outcome.UNKNOWN);
        Op read = c.run(c.getCall("k"));
        assertThat(read.outcome()).isEqualTo(KvOp.Outcome.FAILED);
        assertThat(read.attempts()).extracting(Op.Attempt::detail).contains("timeout");
    }

    @Test
    void refusedConnectionIsNoEffect() throws Exception {
        servers.get(0).stop(0);
        servers.get(1).stop(0);
        script = s -> Reply.of(201, "{}");
        RecordingClient c = client(Duration.ofMillis(300));
        Op op = c.run(c.putCall("k", "v"));
        assertThat(op.outcome()).as(op.toString()).isEqualTo(KvOp.Outcome.FAILED);
        assertThat(op.attempts()).extracting(Op.Attempt::detail).containsOnly("refused");
    }

    @Test
    void compareAndSetSendsItsConditionAndAFailedConditionIsAnAnswer() {
        script = s -> s.ifNoneMatch() != null ? Reply.of(201, "{}", "X-Raftkv-Revision", "3") : Reply.of(412, "{}");
        RecordingClient c = client(Duration.ofSeconds(2));
        Op created = c.run(c.casCall("k", null, 0, "a"));
        Op refused = c.run(c.casCall("k", "a", 3, "b"));
        assertThat(created.outcome()).isEqualTo(KvOp.Outcome.OK);
        assertThat(created.swapped()).isTrue();
        assertThat(created.expected()).isNull();
        assertThat(refused.outcome()).isEqualTo(KvOp.Outcome.OK);
        assertThat(refused.swapped()).isFalse();
        assertThat(refused.expected()).isEqualTo("a");
        assertThat(seen).extracting(Seen::ifMatch).containsExactly(null, "\"3\"");
    }

    @Test
    void readReturnsTheBodyAndRevisionAndAbsentIsNull() {
        script = s -> Reply.of(200, "hello", "ETag", "\"12\"", "X-Raftkv-Revision", "12");
        RecordingClient c = client(Duration.ofSeconds(2));
        Op read = c.run(c.getCall("a/b c"));
        assertThat(read.value()).isEqualTo("hello");
        assertThat(read.revision()).isEqualTo(12);
        script = s -> Reply.of(404, "{\"type\":\"https://raftkv.io/problems/not-found\"}");
        assertThat(c.run(c.getCall("k")).value()).isNull();
    }

    @Test
    void replaySendsTheSameIdempotencyKeyAndIsNotRecorded() {
        script = s -> Reply.of(201, "{}", "X-Raftkv-Revision", "5");
        RecordingClient c = client(Duration.ofSeconds(2));
        RecordingClient.Call call = c.putCall("k", "v");
        Op first = c.run(call);
        Op again = c.replay(call);
        assertThat(again.revision()).isEqualTo(first.revision());
        List<Seen> all = new ArrayList<>(seen);
        assertThat(all.get(0).idempotencyKey()).isEqualTo(all.get(1).idempotencyKey());
        assertThat(history.ops()).hasSize(1);
    }
}
