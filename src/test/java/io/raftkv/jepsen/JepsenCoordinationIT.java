package io.raftkv.jepsen;

import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.jepsen.Nemesis.Kill;
import io.raftkv.jepsen.Nemesis.Pause;
import io.raftkv.jepsen.Nemesis.RestartAll;
import io.raftkv.jepsen.Nemesis.ResumeAll;
import io.raftkv.jepsen.Nemesis.Target;
import io.raftkv.jepsen.Schedule.Step;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 13's Jepsen-style checks of watches, leases and transactions against five local raftkv
 * processes, while leaders and followers are killed ({@code kill -9}) and paused ({@code SIGSTOP}).
 * 10 s of load per check ({@code -Djepsen.soak=true}: 40 s; {@code -Djepsen.load=30s} to choose;
 * {@code -Djepsen.seed=N} to repeat a run).
 */
class JepsenCoordinationIT {
    private static LocalProcessCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        Path base = Path.of("target", "jepsen-cluster", "coordination");
        org.springframework.util.FileSystemUtils.deleteRecursively(base);
        List<String> settings = new ArrayList<>(List.of("--raftkv.watch.bookmark-interval=500ms"));
        Schedules.nodeSettings().forEach((k, v) -> settings.add("--" + k + "=" + v));
        cluster = new LocalProcessCluster(5, base, settings.toArray(String[]::new));
        cluster.awaitLeader(Duration.ofSeconds(60));
        JepsenRun.warmUp(cluster, Duration.ofSeconds(3));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Schedule schedule(String name, Step... steps) {
        return CoordinationSchedules.of(name, List.of(steps));
    }

    /** (a) Watchers on every node, resuming with Last-Event-ID across kills and pauses, see exactly the changes. */
    @Test
    void watchersResumeWithoutGapsOrDuplicates() {
        CoordinationAssertions.watches(cluster, schedule("coord-watch",
                new Step(0.15, new Kill(Target.RANDOM)), new Step(0.35, new RestartAll()),
                new Step(0.45, new Pause(Target.LEADER)), new Step(0.6, new ResumeAll()),
                new Step(0.7, new Kill(Target.LEADER)), new Step(0.85, new RestartAll())));
    }

    /**
     * (b) Kept-alive leases keep their keys while the leader is paused (it wakes up deposed, with a
     * clock that says every lease ran out) and killed; abandoned ones lose theirs in time.
     */
    @Test
    void leasesKeepTheirKeysWhileKeptAliveAndLoseThemInTime() {
        CoordinationAssertions.leases(cluster, schedule("coord-lease",
                new Step(0.15, new Pause(Target.LEADER)), new Step(0.35, new ResumeAll()),
                new Step(0.5, new Kill(Target.LEADER)), new Step(0.7, new RestartAll()),
                new Step(0.75, new Pause(Target.FOLLOWER)), new Step(0.9, new ResumeAll())));
    }

    /** (c) Bank transfers as transactions through every node keep the total and apply exactly once. */
    @Test
    void bankTransfersAreLinearizable() {
        CoordinationAssertions.bank(cluster, schedule("coord-bank",
                new Step(0.2, new Kill(Target.LEADER)), new Step(0.4, new RestartAll()),
                new Step(0.55, new Pause(Target.LEADER)), new Step(0.7, new ResumeAll()),
                new Step(0.75, new Kill(Target.RANDOM)), new Step(0.9, new RestartAll())));
    }
}
