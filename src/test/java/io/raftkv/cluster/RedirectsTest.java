package io.raftkv.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The failure NodeClusterIT once had on a healthy cluster ("header parser received no bytes" on a
 * PUT through a follower), reduced to one connection: a redirected request with a 1 s timeout,
 * then a slow request on the same pooled connection, in flight when the first request's stale
 * timer fires (JDK-8304701).
 */
class RedirectsTest {
    private HttpServer server;
    private URI base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/follower", ex -> answer(ex, 307, "/leader"));
        server.createContext("/leader", ex -> answer(ex, 200, null));
        server.createContext("/slow", ex -> {
            sleep(1_600);
            answer(ex, 200, null);
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void followingRedirectsHopByHopLeavesNoTimerBehindToAbortTheNextRequest() throws Exception {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> redirected = Redirects.send(client, request("/follower", 1), HttpResponse.BodyHandlers.ofString());
        assertThat(redirected.statusCode()).isEqualTo(200);
        assertThat(redirected.uri().getPath()).isEqualTo("/leader");
        assertThat(redirected.previousResponse()).as("the 307 it followed")
                .hasValueSatisfying(r -> assertThat(r.statusCode()).isEqualTo(307));

        HttpResponse<String> slow = Redirects.send(client, request("/slow", 10), HttpResponse.BodyHandlers.ofString());
        assertThat(slow.statusCode()).as("outlives the first request's 1 s timeout").isEqualTo(200);
    }

    @Test
    void theJdkClientsOwnRedirectFollowingAbortsALaterRequestOnTheSameConnection() throws Exception {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        assertThat(client.send(request("/follower", 1), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        IOException failure = null;
        try {
            client.send(request("/slow", 10), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            failure = e;
        }
        assumeTrue(failure != null, "this JDK (" + Runtime.version() + ") has the fix for JDK-8304701");
        assertThat(failure).hasMessageContaining("header parser received no bytes");
    }

    private HttpRequest request(String path, int timeoutSeconds) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(timeoutSeconds))
                .PUT(HttpRequest.BodyPublishers.ofString("v")).build();
    }

    private static void answer(HttpExchange ex, int status, String location) throws IOException {
        ex.getRequestBody().readAllBytes();
        if (location != null) {
            ex.getResponseHeaders().set("Location", location);
        }
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
