package io.raftkv.jepsen;

import io.raftkv.cluster.Redirects;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * The HTTP client of the coordination checks (leases, transactions, listings), careful as
 * {@link RecordingClient} is: it follows redirects to the leader, retries "try again" answers on
 * another node, and tells an attempt that certainly had no effect (refused, 503 no-leader) from one
 * that may have had one (a timeout, a broken connection, any other 5xx). Times are on the run's clock.
 */
final class CoordHttp {
    /** One HTTP exchange; {@code status} 0 when no answer came, then {@code failure} says why. */
    record Reply(String node, long sentAt, long answeredAt, int status, String body, long revision, String failure) {
        boolean answered() {
            return status > 0;
        }

        /** The server certainly did nothing: the request never arrived, or the answer says so. */
        boolean noEffect() {
            if (status == 0) {
                return "refused".equals(failure);
            }
            String type = RecordingClient.problemType(body);
            return status == 503 && ("no-leader".equals(type) || "not-applied".equals(type) || "read-timeout".equals(type));
        }
    }

    /** Every attempt of one call; {@code settled} is the answer that decided it, or null if none did. */
    record Call(List<Reply> attempts, Reply settled) {
        boolean ok() {
            return settled != null;
        }

        /** Some attempt may have taken effect although the call did not settle. */
        boolean maybeApplied() {
            return !ok() && attempts.stream().anyMatch(a -> !a.noEffect());
        }

        long sentAt() {
            return attempts.get(0).sentAt();
        }

        long answeredAt() {
            return attempts.get(attempts.size() - 1).answeredAt();
        }
    }

    private final Map<String, URI> nodes;
    private final List<String> ids;
    private final History clock;
    private final Random random;
    private final Duration attemptTimeout;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofMillis(1000)).build();
    private String preferred;

    CoordHttp(Map<String, URI> nodes, History clock, int id, long seed, Duration attemptTimeout) {
        this.nodes = Map.copyOf(nodes);
        this.ids = List.copyOf(nodes.keySet());
        this.clock = clock;
        this.random = new Random(seed);
        this.attemptTimeout = attemptTimeout;
        this.preferred = ids.get(Math.floorMod(id, ids.size()));
    }

    /**
     * Sends the request until an answer {@code settles} it or {@code within} has passed; every
     * retry is the same request (writes carry their Idempotency-Key in {@code headers}).
     */
    Call call(String method, String path, String json, Map<String, String> headers, IntPredicate settles, Duration within) {
        long deadline = clock.now() + within.toNanos();
        List<Reply> attempts = new ArrayList<>();
        long backoff = 25;
        String node = preferred;
        while (true) {
            Reply r = once(node, method, path, json, headers, attemptTimeout);
            attempts.add(r);
            if (r.answered() && settles.test(r.status())) {
                preferred = node;
                return new Call(List.copyOf(attempts), r);
            }
            long left = (deadline - clock.now()) / 1_000_000;
            if (left < 200) {
                return new Call(List.copyOf(attempts), null);
            }
            node = ids.get(Math.floorMod(ids.indexOf(node) + 1 + random.nextInt(ids.size() - 1), ids.size()));
            sleep(Math.min(left, backoff + random.nextInt((int) backoff + 1)));
            backoff = Math.min(400, backoff * 2);
        }
    }

    Reply once(String node, String method, String path, String json, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(nodes.get(node).resolve(path)).timeout(timeout)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        long sent = clock.now();
        try {
            HttpResponse<String> r = Redirects.send(http, b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            long revision = r.headers().firstValue("X-Raftkv-Revision").map(Long::parseLong).orElse(0L);
            return new Reply(node, sent, clock.now(), r.statusCode(), r.body(), revision, null);
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return new Reply(node, sent, clock.now(), 0, null, 0, "refused");
        } catch (HttpTimeoutException e) {
            return new Reply(node, sent, clock.now(), 0, null, 0, "timeout");
        } catch (IOException e) {
            return new Reply(node, sent, clock.now(), 0, null, 0, "io:" + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(Math.max(0, ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
