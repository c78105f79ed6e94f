package io.raftkv.jepsen;

import io.raftkv.cluster.ContainerCluster;
import io.raftkv.cluster.DockerRequirement;
import io.raftkv.cluster.RequiresDocker;
import io.raftkv.jepsen.Nemesis.Heal;
import io.raftkv.jepsen.Nemesis.Partition;
import io.raftkv.jepsen.Nemesis.Split;
import io.raftkv.jepsen.Schedule.Step;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Issue 13's coordination checks ({@link JepsenCoordinationIT}) under network partitions, against
 * five raftkv containers: the leader cut off in a minority (it keeps its clock and its watchers, and
 * must expire nothing that the majority keeps alive), then other splits. Needs Docker and iptables
 * in the containers' namespaces: skipped without them, failed in CI.
 */
@RequiresDocker
class JepsenCoordinationNetworkIT {
    private static ContainerCluster cluster;

    @BeforeAll
    static void startCluster() {
        ContainerCluster.Options options = new ContainerCluster.Options().size(5)
                .logDir(Path.of("target", "jepsen-cluster", "coordination-containers"))
                .env("RAFTKV_WATCH_BOOKMARK_INTERVAL", "500ms");
        Schedules.nodeSettings().forEach((k, v) -> options.env(k.toUpperCase().replace('.', '_').replace('-', '_'), v));
        cluster = ContainerCluster.start(options);
        DockerRequirement.assume(cluster.supportsNetworkFaults(),
                "network faults are unavailable: " + cluster.networkFaultsProblem());
        JepsenRun.warmUp(cluster, Duration.ofSeconds(3));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Schedule twoSplits(String name, Split second) {
        return CoordinationSchedules.of(name, List.of(
                new Step(0.15, new Partition(Split.LEADER_MINORITY)), new Step(0.45, new Heal()),
                new Step(0.6, new Partition(second)), new Step(0.85, new Heal())));
    }

    @Test
    void watchersResumeWithoutGapsOrDuplicatesAcrossPartitions() {
        CoordinationAssertions.watches(cluster, twoSplits("coord-watch-partition", Split.RANDOM_MAJORITY));
    }

    @Test
    void aLeaderCutOffExpiresNoLeaseTheMajorityKeepsAlive() {
        CoordinationAssertions.leases(cluster, twoSplits("coord-lease-partition", Split.LEADER_MAJORITY));
    }

    @Test
    void bankTransfersAreLinearizableAcrossPartitions() {
        CoordinationAssertions.bank(cluster, twoSplits("coord-bank-partition", Split.RANDOM_MAJORITY));
    }
}
