package io.raftkv.web;

import io.raftkv.cluster.LocalProcessCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ten thousand malformed requests (see {@link HostileRequests}) against a live three-node cluster,
 * spread over all nodes. Every answer must be an HTTP/1.x answer; no 5xx but a problem+json 503;
 * every 4xx problem+json with a detail; every answer with the browser-safety headers (but the one
 * class Tomcat answers before any valve runs, see {@link HostileRequests.Hostile}). The one class
 * that may get no answer at all is a request line that is not HTTP/1.x (see {@link #judge}). Afterwards
 * every node serves, and the control keys written before are unchanged, read linearizably through
 * every node.
 * <p>
 * Replay: {@code -Dhostile.seed=<seed>} reruns the same requests, {@code -Dhostile.only=<index>}
 * sends just one of them; {@code -Dhostile.requests=<n>} changes how many.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {
    private static final long SEED = Long.getLong("hostile.seed", 20261130L);
    private static final int REQUESTS = Integer.getInteger("hostile.requests", 10_000);
    private static final Integer ONLY = Integer.getInteger("hostile.only");
    private static final Pattern DETAIL = Pattern.compile("\"detail\":\"[^\"]{10,}");
    private static final int CONTROL_KEYS = 16;
    /**
     * A well-formed HTTP/1.x request line: a method, a target of the URI characters Tomcat accepts
     * (RFC 3986 unreserved, sub-delims, ':', '/', '?', '@' and '%'), and the version.
     */
    private static final Pattern HTTP_1X_REQUEST_LINE =
            Pattern.compile("\\A[A-Za-z]+ [A-Za-z0-9._~:/?@!$&'()*+,;=%-]+ HTTP/1\\.[01]\\r?\\n");

    @TempDir
    static Path dir;
    private LocalProcessCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Control> control = new LinkedHashMap<>();

    private record Control(byte[] value, String contentType, String etag) {
    }

    @BeforeAll
    void start() throws Exception {
        cluster = new LocalProcessCluster(3, dir);
        cluster.awaitLeader(Duration.ofSeconds(60));
        cluster.awaitReady(Duration.ofSeconds(30));
        Random r = new Random(SEED);
        for (int i = 0; i < CONTROL_KEYS; i++) {
            byte[] value = new byte[1 + r.nextInt(2000)];
            r.nextBytes(value);
            writeControl("control/k" + i, value, "application/octet-stream");
        }
        writeControl("control/page.html", "<html><script>alert(document.domain)</script></html>".getBytes(StandardCharsets.UTF_8),
                "text/html");
    }

    private void writeControl(String key, byte[] value, String contentType) throws Exception {
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(node(0).resolve("/kv/" + key))
                .header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(value))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        control.put(key, new Control(value, contentType, put.headers().firstValue("ETag").orElseThrow()));
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private URI node(int i) {
        return cluster.clientUrl(cluster.nodes().get(i));
    }

    @Test
    void malformedRequestsGetClearAnswersAndChangeNothing() throws Exception {
        HostileRequests gen = new HostileRequests(SEED, new ArrayList<>(control.keySet()));
        Map<String, Map<Integer, AtomicLong>> counts = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        int from = ONLY == null ? 0 : ONLY;
        int to = ONLY == null ? REQUESTS : ONLY + 1;
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int worker = w;
                done.add(pool.submit(() -> {
                    for (int i = from + worker; i < to; i += 4) {
                        HostileRequests.Hostile h = gen.request(i);
                        URI target = node(i % 3);
                        RawHttp.Answer a = RawHttp.send(target, h.bytes(), h.halfClose(), h.head(), 15_000);
                        counts.computeIfAbsent(h.category(), c -> new ConcurrentHashMap<>())
                                .computeIfAbsent(a.status(), s -> new AtomicLong()).incrementAndGet();
                        String wrong = judge(h, a);
                        if (wrong != null && failures.size() < 200) {
                            failures.add(wrong + "\n    request to " + target + ": " + HostileRequests.describe(h)
                                    + "\n    answer: " + a.status() + " " + a.headers() + " " + RawHttp.printable(a.body(), 300));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.println(report(counts, to - from, millis));

        assertThat(failures).as("answers that break the contract (seed %d; replay one with -Dhostile.only=<index>)", SEED)
                .isEmpty();
        everyNodeServesAndTheControlKeysAreUnchanged();
    }

    /** Why this answer is wrong, or null when it is a clear, harmless answer. */
    static String judge(HostileRequests.Hostile h, RawHttp.Answer a) {
        if (a.status() < 0) {
            boolean http11Line = HTTP_1X_REQUEST_LINE.matcher(new String(h.bytes(), StandardCharsets.ISO_8859_1)).find();
            boolean bareProblem = a.failure().startsWith("not an HTTP/1.x status line: {\"type\":\"" + Problems.TYPE_BASE);
            if (!http11Line && (bareProblem || a.failure().equals("the connection closed without an answer"))) {
                // The one class that cannot get a status line: Tomcat answers a request line that is
                // not HTTP/1.x (no version, or one it could not read past an invalid target) the
                // HTTP/0.9 way, a bare body with no status line and no headers. The node makes that
                // body a problem, never a value (SecurityHeaders refuses 0.9 before the API runs).
                return null;
            }
            return "no HTTP answer: " + a.failure();
        }
        boolean headersExpected = !(h.asteriskForm() && a.status() == 200 && a.body().length == 0);
        String csp = a.header("Content-Security-Policy");
        if (headersExpected && (!"nosniff".equals(a.header("X-Content-Type-Options")) || csp == null || !csp.contains("sandbox"))) {
            return "missing X-Content-Type-Options: nosniff or Content-Security-Policy: sandbox";
        }
        if (a.status() < 400) {
            return null;
        }
        if (a.status() >= 500 && a.status() != 503) {
            return "server error " + a.status();
        }
        String type = a.header("Content-Type");
        if (type == null || !type.startsWith("application/problem+json")) {
            return a.status() + " is not application/problem+json but " + type;
        }
        if (!h.head()) {
            String body = a.bodyText();
            if (!DETAIL.matcher(body).find() || !body.contains("\"status\":" + a.status())) {
                return a.status() + " problem without a useful detail or with the wrong status";
            }
        }
        return null;
    }

    private static String report(Map<String, Map<Integer, AtomicLong>> counts, int sent, long millis) {
        StringBuilder sb = new StringBuilder("hostile input: seed " + SEED + ", " + sent + " requests in " + millis + " ms\n");
        Map<Integer, Long> total = new TreeMap<>();
        for (String category : HostileRequests.CATEGORIES) {
            Map<Integer, AtomicLong> byStatus = counts.getOrDefault(category, Map.of());
            Map<Integer, Long> sorted = new TreeMap<>();
            byStatus.forEach((s, n) -> sorted.put(s, n.get()));
            sorted.forEach((s, n) -> total.merge(s, n, Long::sum));
            sb.append(String.format("  %-24s %6d  %s%n", category, sorted.values().stream().mapToLong(Long::longValue).sum(), sorted));
        }
        sb.append(String.format("  %-24s %6d  %s%n", "all", total.values().stream().mapToLong(Long::longValue).sum(), total));
        return sb.toString();
    }

    private void everyNodeServesAndTheControlKeysAreUnchanged() throws IOException, InterruptedException {
        for (String id : cluster.nodes()) {
            assertThat(cluster.isRunning(id)).as("%s is still running", id).isTrue();
        }
        cluster.awaitReady(Duration.ofSeconds(30));
        for (int n = 0; n < 3; n++) {
            URI node = node(n);
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(node.resolve("/kv/hostile/after/" + n))
                    .PUT(HttpRequest.BodyPublishers.ofString("still serving")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as("a write through node %d after the storm: %s", n, put.body()).isIn(200, 201);
            for (Map.Entry<String, Control> e : control.entrySet()) {
                HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(node.resolve("/kv/" + e.getKey()))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(get.statusCode()).as("%s through node %d", e.getKey(), n).isEqualTo(200);
                assertThat(Arrays.equals(get.body(), e.getValue().value())).as("%s value through node %d", e.getKey(), n).isTrue();
                assertThat(get.headers().firstValue("ETag")).as("%s revision", e.getKey()).contains(e.getValue().etag());
                assertThat(get.headers().firstValue("Content-Type")).hasValueSatisfying(
                        ct -> assertThat(ct).startsWith(e.getValue().contentType()));
                assertThat(get.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
                assertThat(get.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                        csp -> assertThat(csp).contains("sandbox"));
            }
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(node.resolve("/kv?prefix=control/&limit=1000"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(Pattern.compile("\"key\":").matcher(list.body()).results().count())
                    .as("no key was added under control/: %s", list.body()).isEqualTo(control.size());
        }
    }
}
