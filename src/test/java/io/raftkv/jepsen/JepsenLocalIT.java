package io.raftkv.jepsen;

import io.raftkv.cluster.LocalProcessCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Jepsen-style schedules that need no network faults (simple, crashes by kill -9, pauses by
 * SIGSTOP) against five local raftkv processes, one cluster for all schedules. Reports go to
 * {@code target/jepsen/<schedule>/}.
 */
class JepsenLocalIT {
    private static LocalProcessCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        Path base = Path.of("target", "jepsen-cluster", "local");
        if (Files.exists(base)) {
            try (Stream<Path> s = Files.walk(base)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        cluster = new LocalProcessCluster(5, base);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static List<Schedule> schedules() {
        return Schedules.selected(false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void schedule(Schedule schedule) throws IOException {
        JepsenAssertions.runAndCheck(cluster, schedule);
    }
}
