package io.raftkv.jepsen;

import io.raftkv.check.KvOp;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of the raftkv HTTP API that records every operation it performs, as a careful real client
 * would perform it: it follows {@code 307} redirects to the leader (re-sending PUT bodies), sends an
 * {@code Idempotency-Key} with every write so that any retry is safe, retries answers that say
 * "try again" (503 no-leader, not-applied, read-timeout, a refused connection) with backoff on
 * another node, and retries writes whose outcome it could not learn (a timeout, 503 outcome-unknown)
 * with the same key, all within the operation's deadline.
 *
 * <p>The outcome it records is what it can prove: {@link KvOp.Outcome#OK} once some answer settled the
 * operation; for a write, {@link KvOp.Outcome#FAILED} only if every attempt certainly had no effect
 * (the server said so, or the request never left), otherwise {@link KvOp.Outcome#UNKNOWN}. A read
 * without an answer is FAILED (it changes nothing either way).
 */
public final class RecordingClient {
    private static final long MIN_ATTEMPT_NANOS = 200_000_000L;
    private static final Pattern PROBLEM_TYPE = Pattern.compile("\"type\"\\s*:\\s*\"[^\"]*/problems/([a-z0-9-]+)\"");

    /**
     * @param attemptTimeout how long one HTTP exchange may take before the client stops waiting for it
     * @param opTimeout      how long the client keeps retrying one operation
     * @param maxRedirects   redirects followed in a row before the client backs off (a redirect loop)
     */
    public record Config(Duration attemptTimeout, Duration opTimeout, int maxRedirects) {
        public static Config defaults() {
            return new Config(Duration.ofMillis(1500), Duration.ofSeconds(10), 5);
        }
    }

    /** What one write or read asks for. {@code ifMatch}: -1 unconditional, 0 {@code If-None-Match: *}, else the revision. */
    public record Call(KvOp.Kind kind, String key, String value, String expected, long ifMatch, String idempotencyKey) {
    }

    private enum Effect { SETTLED, NONE, MAYBE }

    private record Answer(Effect effect, Op.Attempt attempt, String body, long revision, String redirectTo) {
    }

    private final int id;
    private final Map<String, URI> nodes;
    private final List<String> ids;
    private final History history;
    private final Config config;
    private final Random random;
    private final HttpClient http;
    private String preferred;
    private long seq;
    private long keys;

    public RecordingClient(int id, Map<String, URI> nodes, History history, Config config, long seed) {
        this.id = id;
        this.nodes = new LinkedHashMap<>(nodes);
        this.ids = List.copyOf(nodes.keySet());
        this.history = history;
        this.config = config;
        this.random = new Random(seed);
        this.preferred = ids.get(Math.floorMod(id, ids.size()));
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofMillis(1000))
                .build();
    }

    public int id() {
        return id;
    }

    // ---------------------------------------------------------------- operations

    public Call getCall(String key) {
        return new Call(KvOp.Kind.GET, key, null, null, -1, null);
    }

    public Call putCall(String key, String value) {
        return new Call(KvOp.Kind.PUT, key, value, null, -1, newIdempotencyKey());
    }

    public Call deleteCall(String key) {
        return new Call(KvOp.Kind.DELETE, key, null, null, -1, newIdempotencyKey());
    }

    /** Compare-and-set: {@code If-Match: "expectedRevision"}, or {@code If-None-Match: *} when {@code expectedRevision} is 0. */
    public Call casCall(String key, String expectedValue, long expectedRevision, String value) {
        return new Call(KvOp.Kind.CAS, key, value, expectedRevision == 0 ? null : expectedValue, expectedRevision,
                newIdempotencyKey());
    }

    /** Performs the call and adds it to the history. */
    public Op run(Call call) {
        Op op = perform(call, ++seq);
        history.add(op);
        return op;
    }

    /** Sends the very same request again (same Idempotency-Key) without recording it: a retry after a lost answer. */
    public Op replay(Call call) {
        return perform(call, -1);
    }

    /** Performs a call without adding it to the history (final reads and replays record their own way). */
    Op perform(Call call, long opSeq) {
        long start = history.now();
        long deadline = start + config.opTimeout().toNanos();
        List<Op.Attempt> attempts = new ArrayList<>();
        boolean maybeApplied = false;
        long backoff = 25;
        int redirects = 0;
        String node = preferred;
        while (true) {
            long now = history.now();
            if (deadline - now < Math.min(config.attemptTimeout().toNanos(), MIN_ATTEMPT_NANOS)) {
                break; // too little time left for an answer: an attempt now would only add an ambiguous timeout
            }
            Answer a = exchange(call, node, Math.min(config.attemptTimeout().toNanos(), deadline - now));
            attempts.add(a.attempt());
            if (a.effect() == Effect.SETTLED) {
                preferred = node;
                return settled(call, opSeq, start, a, attempts);
            }
            if (a.redirectTo() != null && ++redirects <= config.maxRedirects()) {
                node = a.redirectTo();
                continue;
            }
            redirects = 0;
            if (a.effect() == Effect.MAYBE) {
                maybeApplied = true;
            }
            // Try another node after a pause: this one may be cut off, paused or down.
            node = nextNode(node);
            preferred = node;
            long pause = Math.min(backoff + random.nextInt((int) backoff + 1), retryAfterCapMillis(a));
            backoff = Math.min(400, backoff * 2);
            long left = (deadline - history.now()) / 1_000_000;
            if (left <= 0) {
                break;
            }
            sleep(Math.min(pause, left));
        }
        KvOp.Outcome outcome = call.kind() != KvOp.Kind.GET && maybeApplied ? KvOp.Outcome.UNKNOWN : KvOp.Outcome.FAILED;
        Op.Attempt last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
        return new Op(id, opSeq, call.kind(), call.key(), call.kind() == KvOp.Kind.GET ? null : call.value(),
                call.expected(), false, start, history.now(), outcome, 0, 0, call.idempotencyKey(), List.copyOf(attempts),
                "gave up after " + attempts.size() + " attempts; last " + last);
    }

    private static long retryAfterCapMillis(Answer a) {
        // Retry-After is whole seconds (1); a client sharing a deadline retries sooner than that but backs off.
        return a.attempt().status() == 503 ? 1000 : Long.MAX_VALUE;
    }

    private Op settled(Call call, long opSeq, long start, Answer a, List<Op.Attempt> attempts) {
        int status = a.attempt().status();
        String value = call.value();
        boolean swapped = false;
        switch (call.kind()) {
            case GET -> value = status == 200 ? a.body() : null;
            case CAS -> swapped = status == 200 || status == 201;
            default -> { }
        }
        return new Op(id, opSeq, call.kind(), call.key(), value, call.expected(), swapped, start, a.attempt().endedAt(),
                KvOp.Outcome.OK, status, a.revision(), call.idempotencyKey(), List.copyOf(attempts), null);
    }

    private String nextNode(String current) {
        // Round robin from a random offset, never the same node twice in a row.
        int i = ids.indexOf(current);
        int step = 1 + random.nextInt(ids.size() - 1);
        return ids.get(Math.floorMod(i + step, ids.size()));
    }

    private String newIdempotencyKey() {
        return "c" + id + "-" + (++keys) + "-" + Long.toHexString(random.nextLong());
    }

    // ---------------------------------------------------------------- one HTTP exchange

    private Answer exchange(Call call, String node, long timeoutNanos) {
        URI uri = nodes.get(node).resolve("/kv/" + encodeKey(call.key()));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofNanos(Math.max(timeoutNanos, 1_000_000)));
        switch (call.kind()) {
            case GET -> b.GET();
            case DELETE -> b.DELETE();
            case PUT, CAS -> b.PUT(HttpRequest.BodyPublishers.ofString(call.value(), StandardCharsets.UTF_8))
                    .header("Content-Type", "text/plain; charset=utf-8");
        }
        if (call.kind() == KvOp.Kind.CAS) {
            if (call.ifMatch() == 0) {
                b.header("If-None-Match", "*");
            } else {
                b.header("If-Match", "\"" + call.ifMatch() + "\"");
            }
        }
        if (call.idempotencyKey() != null) {
            b.header("Idempotency-Key", call.idempotencyKey());
        }
        boolean write = call.kind() != KvOp.Kind.GET;
        long started = history.now();
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException | ConnectException e) {
            // The request never reached the node.
            return new Answer(Effect.NONE, new Op.Attempt(started, history.now(), node, 0, "refused"), null, 0, null);
        } catch (HttpTimeoutException e) {
            return new Answer(write ? Effect.MAYBE : Effect.NONE,
                    new Op.Attempt(started, history.now(), node, 0, "timeout"), null, 0, null);
        } catch (IOException e) {
            // Sent, maybe: the connection broke (a node killed mid-request, a stale pooled connection).
            return new Answer(write ? Effect.MAYBE : Effect.NONE,
                    new Op.Attempt(started, history.now(), node, 0, "io:" + e.getClass().getSimpleName()), null, 0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        long ended = history.now();
        int status = r.statusCode();
        String body = r.body();
        String type = problemType(body);
        long revision = revision(r);
        if (status == 307) {
            String leader = r.headers().firstValue("X-Raftkv-Leader").orElse(null);
            String target = leader != null && nodes.containsKey(leader) ? leader : nodeOf(r.headers().firstValue("Location"));
            return new Answer(Effect.NONE, new Op.Attempt(started, ended, node, status, "->" + target), null, 0, target);
        }
        Op.Attempt at = new Op.Attempt(started, ended, node, status, type);
        boolean settles = switch (call.kind()) {
            case GET -> status == 200 || status == 404;
            case PUT -> status == 200 || status == 201;
            case CAS -> status == 200 || status == 201 || status == 412;
            case DELETE -> status == 204 || status == 404;
        };
        if (settles) {
            return new Answer(Effect.SETTLED, at, body, revision, null);
        }
        if (status == 503 && type != null && switch (type) {
            case "no-leader", "not-applied", "read-timeout" -> true;
            default -> false;
        }) {
            return new Answer(Effect.NONE, at, body, 0, null);
        }
        // outcome-unknown, node-failed, any other 5xx, or a 4xx the client did not expect: it cannot tell.
        return new Answer(write ? Effect.MAYBE : Effect.NONE, at, body, 0, null);
    }

    private String nodeOf(Optional<String> location) {
        if (location.isEmpty()) {
            return null;
        }
        URI u = URI.create(location.get());
        for (Map.Entry<String, URI> e : nodes.entrySet()) {
            if (e.getValue().getPort() == u.getPort() && e.getValue().getHost().equals(u.getHost())) {
                return e.getKey();
            }
        }
        return null;
    }

    static String problemType(String body) {
        if (body == null) {
            return null;
        }
        Matcher m = PROBLEM_TYPE.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private static long revision(HttpResponse<?> r) {
        Optional<String> v = r.headers().firstValue("X-Raftkv-Revision");
        if (v.isEmpty()) {
            v = r.headers().firstValue("ETag").map(s -> s.replace("W/", "").replace("\"", ""));
        }
        try {
            return v.map(Long::parseLong).orElse(0L);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String encodeKey(String key) {
        StringBuilder sb = new StringBuilder();
        for (String part : key.split("/", -1)) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
