package io.raftkv.security;

import io.raftkv.RaftKvApplication;
import io.raftkv.web.WebHttp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web layer with authentication on, in one process: a one-node cluster behind the real
 * security chain, spoken to over HTTP.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AuthWebTest {
    static final String ROOT = "root-token-for-the-web-test-0123456789";
    static final int PEER_PORT = WebHttp.freePort();

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("raftkv.data-dir", () -> dataDir.toString());
        r.add("raftkv.peer-port", () -> PEER_PORT);
        r.add("raftkv.auth.root-token", () -> ROOT);
    }

    @LocalServerPort
    int port;
    WebHttp http;

    @BeforeEach
    void client() {
        http = new WebHttp(port);
    }

    static String secretOf(HttpResponse<String> issued) {
        Matcher m = Pattern.compile("\"token\":\"([A-Za-z0-9_-]{43})\"").matcher(issued.body());
        assertThat(m.find()).as("a 43-character base64url secret in %s", issued.body()).isTrue();
        return m.group(1);
    }

    private static void assertProblem(HttpResponse<String> r, int status, String slug) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(r.body()).contains("\"type\":\"https://raftkv.io/problems/" + slug + "\"");
    }

    /** A token with read on app/ only, made fresh for each test (PUT rotates, so the name can be reused). */
    private String reader() {
        assertThat(http.put("/auth/roles/reader", ROOT, "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}")
                .statusCode()).isIn(200, 201);
        HttpResponse<String> issued = http.put("/auth/tokens/app-reader", ROOT, "{\"roles\":[\"reader\"]}");
        assertThat(issued.statusCode()).as(issued.body()).isIn(200, 201);
        assertThat(issued.body()).contains("\"name\":\"app-reader\"");
        return secretOf(issued);
    }

    @Test
    void onlyTheRootTokenTakesABackup() {
        HttpResponse<String> denied = http.get("/snapshot", reader());
        assertProblem(denied, 403, "forbidden");
        assertThat(denied.body()).contains("only the root token may take a backup");
        HttpResponse<String> backup = http.get("/snapshot", ROOT);
        assertThat(backup.statusCode()).isEqualTo(200);
        assertThat(backup.headers().firstValue("X-Raftkv-Snapshot-Sha256")).hasValueSatisfying(h -> assertThat(h).hasSize(64));
        assertThat(backup.body()).startsWith("RAFTKVBK");
    }

    @Test
    void withoutAValidTokenEverythingButTheProbesIs401() {
        for (String path : new String[]{"/kv/app/x", "/kv?prefix=", "/cluster", "/actuator/prometheus", "/actuator/info",
                "/auth/roles", "/snapshot", "/actuator/health/raft", "/nothing-here"}) {
            HttpResponse<String> r = http.get(path, null);
            assertProblem(r, 401, "unauthorized");
            assertThat(r.headers().firstValue("WWW-Authenticate")).as(path).hasValue("Bearer");
        }
        HttpResponse<String> wrong = http.get("/kv/app/x", "not-a-token");
        assertProblem(wrong, 401, "unauthorized");
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        assertProblem(http.send("GET", "/cluster", null, null, "Authorization", "Basic cm9vdDpyb290"), 401, "unauthorized");
        assertProblem(http.send("PUT", "/kv/app/x", null, "v"), 401, "unauthorized");
        String metrics = http.get("/actuator/prometheus", ROOT).body();
        assertThat(metrics).containsPattern("raftkv_auth_denied_total\\{reason=\"missing-token\"[^}]*\\} [1-9]")
                .containsPattern("raftkv_auth_denied_total\\{reason=\"invalid-token\"[^}]*\\} [1-9]");
    }

    @Test
    void probesAreOpenAndShowDetailsOnlyWithAToken() {
        for (String probe : new String[]{"/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"}) {
            HttpResponse<String> open = http.get(probe, null);
            assertThat(open.statusCode()).as(probe + " " + open.body()).isIn(200, 503);
            assertThat(open.body()).contains("\"status\"").doesNotContain("components").doesNotContain("details");
        }
        HttpResponse<String> withToken = http.get("/actuator/health", reader());
        assertThat(withToken.body()).contains("\"raft\"").contains("\"details\"");
    }

    @Test
    void aReaderReadsItsPrefixAndIsRefusedEverythingElse() {
        assertThat(http.put("/kv/app/x", ROOT, "hello").statusCode()).isIn(200, 201);
        assertThat(http.put("/kv/other/y", ROOT, "secret").statusCode()).isIn(200, 201);
        String token = reader();

        HttpResponse<String> read = http.get("/kv/app/x", token);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("hello");
        assertThat(http.get("/kv/app/x?consistency=stale", token).statusCode()).isEqualTo(200);
        // Conditional GETs still work behind the security chain.
        String etag = read.headers().firstValue("ETag").orElseThrow();
        assertThat(http.send("GET", "/kv/app/x", token, null, "If-None-Match", etag).statusCode()).isEqualTo(304);

        assertProblem(http.send("PUT", "/kv/app/x", token, "no"), 403, "forbidden");
        assertProblem(http.delete("/kv/app/x", token), 403, "forbidden");
        assertProblem(http.get("/kv/other/y", token), 403, "forbidden");
        assertProblem(http.get("/kv/other/y?consistency=stale", token), 403, "forbidden");
        assertThat(http.get("/kv/app/x", ROOT).body()).isEqualTo("hello"); // the refused PUT changed nothing

        // Any valid token may see the cluster and the metrics; only root manages auth.
        assertThat(http.get("/cluster", token).statusCode()).isEqualTo(200);
        assertThat(http.get("/actuator/prometheus", token).statusCode()).isEqualTo(200);
        assertProblem(http.get("/auth/roles", token), 403, "forbidden");
        assertProblem(http.put("/auth/tokens/mine", token, "{\"roles\":[]}"), 403, "forbidden");
    }

    @Test
    void listingShowsOnlyReadableKeysAndPagesThroughThemAll() {
        String[] keys = {"a", "app/1", "app/2", "app/3", "apple", "b/app/x", "other/y", "zz"};
        for (String k : keys) {
            assertThat(http.put("/kv/" + k, ROOT, "v").statusCode()).isIn(200, 201);
        }
        String token = reader();
        HttpResponse<String> all = http.get("/kv?prefix=", token);
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(keysIn(all.body())).allMatch(k -> k.startsWith("app/")).contains("app/1", "app/2", "app/3");
        assertThat(keysIn(http.get("/kv?prefix=b", token).body())).isEmpty();
        assertThat(keysIn(http.get("/kv?prefix=app/2&consistency=stale", token).body())).containsExactly("app/2");

        // Pages of one: every readable key once, in order, then no cursor.
        java.util.List<String> seen = new java.util.ArrayList<>();
        String cursor = null;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> page = http.get("/kv?prefix=&limit=1" + (cursor == null ? "" : "&cursor=" + cursor), token);
            seen.addAll(keysIn(page.body()));
            Matcher m = Pattern.compile("\"next\":\"([^\"]+)\"").matcher(page.body());
            if (!m.find()) {
                break;
            }
            cursor = m.group(1);
        }
        assertThat(seen).isEqualTo(keysIn(all.body()));
        // Root sees everything.
        assertThat(keysIn(http.get("/kv?prefix=", ROOT).body())).contains("other/y", "zz");
    }

    static java.util.List<String> keysIn(String listing) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(listing);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    @Test
    void rolesAndTokensAreManagedAndBadInputIs400() {
        assertThat(http.put("/auth/roles/ops", ROOT, "{\"permissions\":[{\"prefix\":\"\",\"access\":\"readwrite\"}]}").statusCode()).isEqualTo(201);
        assertThat(http.put("/auth/roles/ops", ROOT, "{\"permissions\":[{\"prefix\":\"ops/\",\"access\":\"write\"}]}").statusCode()).isEqualTo(200);
        assertThat(http.get("/auth/roles/ops", ROOT).body()).isEqualTo("{\"name\":\"ops\",\"permissions\":[{\"prefix\":\"ops/\",\"access\":\"write\"}]}");
        assertThat(http.get("/auth/roles", ROOT).body()).contains("\"name\":\"ops\"");

        HttpResponse<String> first = http.put("/auth/tokens/deployer", ROOT, "{\"roles\":[\"ops\"]}");
        assertThat(first.statusCode()).isEqualTo(201);
        String s1 = secretOf(first);
        assertThat(http.put("/kv/ops/a", s1, "x").statusCode()).isEqualTo(201);
        HttpResponse<String> shown = http.get("/auth/tokens/deployer", ROOT);
        assertThat(shown.body()).isEqualTo("{\"name\":\"deployer\",\"roles\":[\"ops\"]}");
        assertThat(http.get("/auth/tokens", ROOT).body()).contains("\"deployer\"").doesNotContain(s1);

        // PUT again rotates: the old secret stops working, the new one works.
        HttpResponse<String> rotated = http.put("/auth/tokens/deployer", ROOT, "{\"roles\":[\"ops\"]}");
        assertThat(rotated.statusCode()).isEqualTo(200);
        String s2 = secretOf(rotated);
        assertThat(s2).isNotEqualTo(s1);
        assertProblem(http.put("/kv/ops/a", s1, "y"), 401, "unauthorized");
        assertThat(http.put("/kv/ops/a", s2, "y").statusCode()).isEqualTo(200);

        assertProblem(http.put("/auth/roles/bad", ROOT, "{not json"), 400, "bad-auth-request");
        assertProblem(http.put("/auth/roles/bad", ROOT, "{\"permissions\":[{\"prefix\":\"a\",\"access\":\"admin\"}]}"), 400, "bad-auth-request");
        assertProblem(http.put("/auth/roles/bad", ROOT, "{\"permissions\":[{\"prefix\":\"a\"}]}"), 400, "bad-auth-request");
        assertProblem(http.put("/auth/roles/bad", ROOT, "{\"permissions\":[],\"extra\":1}"), 400, "bad-auth-request");
        assertProblem(http.put("/auth/roles/bad", ROOT, "[]"), 400, "bad-auth-request");
        assertProblem(http.put("/auth/roles/-bad", ROOT, "{\"permissions\":[]}"), 400, "bad-name");
        assertProblem(http.put("/auth/tokens/t", ROOT, "{\"roles\":[\"no-such-role\"]}"), 400, "unknown-role");
        assertProblem(http.put("/auth/tokens/t", ROOT, "{\"roles\":\"ops\"}"), 400, "bad-auth-request");
        assertProblem(http.get("/auth/tokens/t", ROOT), 404, "not-found");
        assertThat(http.get("/auth/roles/bad", ROOT).statusCode()).isEqualTo(404);

        assertThat(http.delete("/auth/tokens/deployer", ROOT).statusCode()).isEqualTo(204);
        assertProblem(http.put("/kv/ops/a", s2, "z"), 401, "unauthorized");
        assertProblem(http.delete("/auth/tokens/deployer", ROOT), 404, "not-found");
        assertThat(http.delete("/auth/roles/ops", ROOT).statusCode()).isEqualTo(204);
        assertProblem(http.get("/auth/roles/ops", ROOT), 404, "not-found");
    }

    /**
     * The security chain sees every request first: odd paths and methods must still get a 4xx problem,
     * never a 5xx. (Malformed query strings are the web layer's: Tomcat's parameter parsing fails in
     * handler mapping, with or without authentication.)
     */
    @Test
    void malformedRequestsGetAProblemNotAServerError() {
        String[] paths = {"/kv/%ZZ", "/kv/%ff", "/kv/a%2Fb", "/kv/a;b", "/kv//a", "/kv/a/../b",
                "/auth;x/roles", "/%61uth/roles", "/actuator/health;x", "/actuator/health/%ff", "/kv/%00"};
        for (String token : new String[]{null, "bogus", reader(), ROOT}) {
            for (String path : paths) {
                for (String method : new String[]{"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}) {
                    WebHttp.Raw r = http.raw(method, path, token, method.equals("PUT") ? "v" : null);
                    String what = method + " " + path + " with " + token + ": " + r.body();
                    assertThat(r.status()).as(what).isLessThan(500);
                    if (r.status() >= 400 && !method.equals("HEAD")) {
                        assertThat(r.contentType()).as(what).startsWith("application/problem+json");
                    }
                }
                if (token == null && !path.startsWith("/actuator/health")) {
                    assertThat(http.raw("GET", path, null, null).status()).as(path).isIn(400, 401);
                }
            }
        }
        // Only root got through to /auth, however the path was spelled.
        assertThat(http.raw("GET", "/%61uth/roles", reader(), null).status()).isIn(403, 404);
        assertThat(http.raw("GET", "/auth;x/roles", reader(), null).status()).isIn(403, 404);
    }

    /**
     * The peer port is a server of its own (io.raftkv.peer) with no client handlers behind it: keys,
     * /auth, /cluster and metrics are not there, whatever the path.
     */
    @Test
    void thePeerPortServesNoKeysAndNoAuth() {
        WebHttp peer = new WebHttp(PEER_PORT);
        for (String path : new String[]{"/kv/app/x", "/raft/../kv/app/x", "/raft/..;/kv/app/x", "/raft/%2e%2e/kv/app/x",
                "/auth/roles", "/raft/../auth/roles", "/raft/..;/auth/roles", "/raft/../cluster", "/raft/../actuator/prometheus"}) {
            for (String method : new String[]{"GET", "PUT"}) {
                WebHttp.Raw r = peer.raw(method, path, null, method.equals("PUT") ? "{\"roles\":[]}" : null);
                assertThat(r.status()).as(method + " " + path + " on the peer port").isBetween(400, 499);
            }
        }
    }
}
