package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A live watch re-checks its caller's permission whenever the replicated roles or tokens change
 * (issue 13): a token that may no longer read what it watches, or that was deleted, gets a terminal
 * 403 {@code forbidden} event and the stream ends, before any change it may no longer read; an
 * unrelated change, or one that only widens what it may read, leaves the stream going.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.level.root=warn")
class WatchAuthWebTest {
    static final String ROOT = "root-token-for-the-watch-auth-test-0123456789";

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("raftkv.data-dir", () -> dataDir.toString());
        r.add("raftkv.peer-port", WebHttp::freePort);
        r.add("raftkv.auth.root-token", () -> ROOT);
    }

    @LocalServerPort
    int port;

    private WebHttp http() {
        return new WebHttp(port);
    }

    private void role(String name, String prefix) {
        HttpResponse<String> r = http().put("/auth/roles/" + name, ROOT, "{\"permissions\":[{\"prefix\":\"" + prefix + "\",\"access\":\"read\"}]}");
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    }

    private String token(String name, String role) {
        HttpResponse<String> issued = http().put("/auth/tokens/" + name, ROOT, "{\"roles\":[\"" + role + "\"]}");
        assertThat(issued.statusCode()).as(issued.body()).isIn(200, 201);
        Matcher m = Pattern.compile("\"token\":\"([A-Za-z0-9_-]{43})\"").matcher(issued.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private void put(String key, String value) {
        assertThat(http().send("PUT", "/kv/" + key, ROOT, value, "Content-Type", "text/plain").statusCode()).isIn(200, 201);
    }

    @Test
    void aPrefixWatchWhoseRoleLosesReadEndsWithForbiddenBeforeTheNextChange() throws Exception {
        role("wa-reader", "wa/");
        role("unrelated", "zz/");
        String secret = token("wa-token", "wa-reader");
        try (EventStream s = EventStream.open(port, "/watch?prefix=wa/", "Authorization", "Bearer " + secret)) {
            assertThat(s.response().statusCode()).isEqualTo(200);
            put("wa/a", "1");
            assertThat(s.nextChange().data().path("key").asString()).isEqualTo("wa/a");
            role("unrelated", "yy/");
            role("wa-reader", "");
            put("wa/b", "2");
            assertThat(s.nextChange().data().path("key").asString()).as("unrelated or widening changes keep the stream").isEqualTo("wa/b");
            role("wa-reader", "other/");
            put("wa/c", "secret");
            EventStream.Event end = s.nextChange();
            assertThat(end.name()).isEqualTo("forbidden");
            assertThat(end.data().path("status").asInt()).isEqualTo(403);
            assertThat(end.data().path("type").asString()).isEqualTo(Problems.TYPE_BASE + "forbidden");
            assertThat(end.data().path("detail").asString()).contains("wa-token").contains("may no longer read the keys under 'wa/'");
            assertThat(end.data().path("revision").asLong()).as("where a permitted watcher would resume").isPositive();
            assertThat(s.ended(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void aKeyWatchWhoseTokenIsDeletedEndsWithForbiddenAsNdjson() throws Exception {
        role("wk-reader", "wk/");
        String secret = token("wk-token", "wk-reader");
        try (EventStream s = EventStream.open(port, "/watch?key=wk/a", "Authorization", "Bearer " + secret,
                "Accept", "application/x-ndjson")) {
            assertThat(s.response().statusCode()).isEqualTo(200);
            put("wk/a", "1");
            assertThat(s.nextChange().data().path("key").asString()).isEqualTo("wk/a");
            assertThat(http().delete("/auth/tokens/wk-token", ROOT).statusCode()).isEqualTo(204);
            EventStream.Event end = s.nextChange();
            assertThat(end.data().path("type").asString()).isEqualTo("forbidden");
            assertThat(end.data().path("problem").path("status").asInt()).isEqualTo(403);
            assertThat(end.data().path("problem").path("detail").asString()).contains("was deleted or given a new secret");
            assertThat(s.ended(Duration.ofSeconds(10))).isTrue();
        }
    }
}
