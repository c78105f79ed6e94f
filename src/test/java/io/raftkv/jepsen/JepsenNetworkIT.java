package io.raftkv.jepsen;

import io.raftkv.cluster.ContainerCluster;
import io.raftkv.cluster.DockerRequirement;
import io.raftkv.cluster.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The Jepsen-style schedules with network faults (packet loss, partitions, and the advanced mix of
 * loss, partitions and leader kills) against five raftkv containers, one cluster for all schedules.
 * Needs Docker and iptables in the containers' namespaces: skipped without them, failed in CI.
 * Reports go to {@code target/jepsen/<schedule>/}.
 */
@RequiresDocker
class JepsenNetworkIT {
    private static ContainerCluster cluster;

    @BeforeAll
    static void startCluster() {
        ContainerCluster.Options options = new ContainerCluster.Options().size(5)
                .logDir(Path.of("target", "jepsen-cluster", "containers"));
        Schedules.nodeSettings().forEach((k, v) -> options.env(k.toUpperCase().replace('.', '_').replace('-', '_'), v));
        cluster = ContainerCluster.start(options);
        DockerRequirement.assume(cluster.supportsNetworkFaults(),
                "network faults are unavailable: " + cluster.networkFaultsProblem());
        JepsenRun.warmUp(cluster, Duration.ofSeconds(5));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static List<Schedule> schedules() {
        return Schedules.selected(true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void schedule(Schedule schedule) throws IOException {
        JepsenAssertions.runAndCheck(cluster, schedule);
    }
}
