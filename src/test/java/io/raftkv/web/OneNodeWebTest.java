package io.raftkv.web;

import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;

/**
 * What a web test against one in-process node needs besides its {@code @SpringBootTest}: a data
 * directory of its own, a free peer port and the client port. Subclasses share this configuration
 * source, so Spring's context cache would hand one class the node of another (paused, with that
 * class's data directory): each class's node is closed after it instead.
 */
@DirtiesContext
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
