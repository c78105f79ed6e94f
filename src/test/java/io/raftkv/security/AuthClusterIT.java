package io.raftkv.security;

import io.raftkv.client.ApiClient;
import io.raftkv.client.api.AuthApi;
import io.raftkv.client.model.IssuedToken;
import io.raftkv.client.model.Permission;
import io.raftkv.client.model.RoleRequest;
import io.raftkv.client.model.TokenRequest;
import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.cluster.Redirects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.client.JdkClientHttpRequestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authentication and authorization on a real 3-node cluster with the same root token on every node:
 * the rules are replicated, so every node enforces them, and a follower refuses before it redirects.
 */
class AuthClusterIT {
    static final String ROOT = "it-root-token-0123456789abcdef";
    /** For the generated client, which sets no request timeout (the JDK-8304701 timer needs one). */
    static final HttpClient FOLLOW = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(1)).build();
    static final HttpClient NO_FOLLOW = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @TempDir
    static Path dir;
    static LocalProcessCluster cluster;

    @BeforeAll
    static void start() {
        cluster = new LocalProcessCluster(3, dir, "--raftkv.auth.root-token=" + ROOT);
        cluster.awaitReady(Duration.ofSeconds(60)); // the readiness probe needs no token
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static HttpResponse<String> send(boolean follow, String method, URI node, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            // Hop by hop (Redirects): the JDK 17 client's own following breaks pooled connections (JDK-8304701).
            return follow ? Redirects.send(NO_FOLLOW, b.build(), HttpResponse.BodyHandlers.ofString())
                    : NO_FOLLOW.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A follower that knows the leader, as /cluster (which needs a token) tells it. */
    static String follower() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Pattern view = Pattern.compile("\"role\":\"follower\",\"leader\":\"[^\"]+\"");
        while (System.nanoTime() < deadline) {
            for (String id : cluster.nodes()) {
                if (view.matcher(send(false, "GET", cluster.clientUrl(id), "/cluster", ROOT, null).body()).find()) {
                    return id;
                }
            }
            pause();
        }
        throw new AssertionError("no follower that knows a leader within 30 s");
    }

    static List<String> keysIn(String listing) {
        List<String> keys = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(listing);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    @Test
    void aReaderTokenIsEnforcedOnEveryNodeUntilItIsDeleted() {
        URI follower = cluster.clientUrl(follower());
        assertThat(send(true, "PUT", follower, "/kv/app/x", ROOT, "hello").statusCode()).isEqualTo(201);
        assertThat(send(true, "PUT", follower, "/kv/other/y", ROOT, "secret").statusCode()).isEqualTo(201);

        // Root manages auth through the generated client, at a follower (307 to the leader, followed).
        ApiClient client = new ApiClient(ApiClient.buildRestClientBuilder()
                .requestFactory(new JdkClientHttpRequestFactory(FOLLOW)).build());
        client.setBasePath(follower.toString());
        client.setBearerToken(ROOT);
        AuthApi auth = new AuthApi(client);
        auth.putRole("reader", new RoleRequest().permissions(List.of(
                new Permission().prefix("app/").access(Permission.AccessEnum.READ))));
        IssuedToken issued = auth.putToken("app-reader", new TokenRequest().roles(List.of("reader")));
        String token = issued.getToken();
        assertThat(token).matches("[A-Za-z0-9_-]{43}");
        assertThat(auth.getToken("app-reader").getRoles()).containsExactly("reader");

        for (String id : cluster.nodes()) {
            URI node = cluster.clientUrl(id);
            // Writes are applied on every node eventually; wait for this one before judging it.
            awaitStatus(node, "/kv/app/x?consistency=stale", token, 200);
            assertThat(send(true, "GET", node, "/kv/app/x", token, null).body()).isEqualTo("hello");
            assertThat(send(false, "PUT", node, "/kv/app/x", token, "no").statusCode()).as(id).isEqualTo(403);
            assertThat(send(false, "GET", node, "/kv/other/y", token, null).statusCode()).as(id).isEqualTo(403);
            HttpResponse<String> anonymous = send(false, "GET", node, "/kv/app/x", null, null);
            assertThat(anonymous.statusCode()).as(id).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
            assertThat(keysIn(send(true, "GET", node, "/kv?prefix=", token, null).body())).as(id).containsExactly("app/x");
        }
        assertThat(keysIn(send(true, "GET", follower, "/kv?prefix=", ROOT, null).body())).containsExactly("app/x", "other/y");
        assertThat(send(true, "GET", follower, "/kv/app/x", ROOT, null).body()).isEqualTo("hello");

        auth.deleteToken("app-reader");
        for (String id : cluster.nodes()) {
            awaitStatus(cluster.clientUrl(id), "/kv/app/x?consistency=stale", token, 401);
            assertThat(send(false, "GET", cluster.clientUrl(id), "/kv/app/x", token, null).statusCode()).as(id).isEqualTo(401);
        }
    }

    static void awaitStatus(URI node, String path, String token, int status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int last;
        do {
            last = send(false, "GET", node, path, token, null).statusCode();
            if (last == status) {
                return;
            }
            pause();
        } while (System.nanoTime() < deadline);
        throw new AssertionError(node + path + " answered " + last + ", not " + status + ", for 10 s");
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
