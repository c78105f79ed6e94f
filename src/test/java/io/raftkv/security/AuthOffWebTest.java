package io.raftkv.security;

import io.raftkv.RaftKvApplication;
import io.raftkv.web.WebHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** With no root token everything stays open, as before authentication existed. */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AuthOffWebTest {
    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("raftkv.data-dir", () -> dataDir.toString());
        r.add("raftkv.peer-port", WebHttp::freePort);
    }

    @LocalServerPort
    int port;

    @Test
    void everythingIsOpenAndHealthShowsDetails() {
        WebHttp http = new WebHttp(port);
        assertThat(http.send("PUT", "/kv/a%2Fb%25c;d", null, "v").statusCode()).isEqualTo(201);
        assertThat(http.get("/kv/a%2Fb%25c;d", null).body()).isEqualTo("v");
        assertThat(AuthWebTest.keysIn(http.get("/kv?prefix=", null).body())).contains("a/b%c;d");
        assertThat(http.get("/cluster", null).statusCode()).isEqualTo(200);
        assertThat(http.get("/actuator/health", null).body()).contains("\"raft\"").contains("\"details\"");
        // A token is not needed; and nobody manages roles or tokens while there is no root token.
        assertThat(http.get("/kv/a%2Fb%25c;d", "whatever").statusCode()).isEqualTo(200);
        HttpResponse<String> plant = http.put("/auth/tokens/backdoor", null, "{\"roles\":[]}");
        assertThat(plant.statusCode()).isEqualTo(403);
        assertThat(plant.body()).contains("raftkv.auth.root-token");
        assertThat(http.get("/auth/tokens", null).statusCode()).isEqualTo(403);
    }
}
