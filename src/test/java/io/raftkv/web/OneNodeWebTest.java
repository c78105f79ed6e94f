package io.raftkv.web;

import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;

/**
 * What a web test against one in-process node needs besides its {@code @SpringBootTest}: a data
 * directory of its own, a free peer port and the client port.
 */
abstract class OneNodeWebTest {
    @TempDir
    static Path dataDir;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void node(DynamicPropertyRegistry r) {
        r.add("raftkv.data-dir", () -> dataDir.toString());
        r.add("raftkv.peer-port", WebHttp::freePort);
    }
}
