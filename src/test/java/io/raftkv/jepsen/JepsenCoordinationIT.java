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
import org.springframework.boot.convert.DurationStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's Jepsen-style checks of watches, leases and transactions against five local raftkv
 * processes, while leaders and followers are killed ({@code kill -9}) and paused ({@code SIGSTOP}).
 * 12 s of load per check ({@code -Djepsen.soak=true}: 40 s; {@code -Djepsen.load=30s} to choose;
 * {@code -Djepsen.seed=N} to repeat a run).
 */
class JepsenCoordinationIT {
    private static final Logger log = LoggerFactory.getLogger(JepsenCoordinationIT.class);
    private static LocalProcessCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        Path base = Path.of("target", "jepsen-cluster", "coordination");
        if (Files.exists(base)) {
            try (Stream<Path> s = Files.walk(base)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
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
        Schedule s = schedule("coord-watch",
                new Step(0.15, new Kill(Target.RANDOM)), new Step(0.35, new RestartAll()),
                new Step(0.45, new Pause(Target.LEADER)), new Step(0.6, new ResumeAll()),
                new Step(0.7, new Kill(Target.LEADER)), new Step(0.85, new RestartAll()));
        long seed = CoordinationSchedules.seed();
        WatchCheck.Result r = WatchCheck.run(cluster, s, seed);
        log.info("{} (-Djepsen.seed={}): {}", s.name(), seed, r);
        assertThat(r.violations()).as(r.toString()).isEmpty();
        assertThat(r.writes()).as("acknowledged writes").isGreaterThan(50);
        assertThat(r.segments()).as("streams: every watcher reconnected several times").isGreaterThan(5 * 3);
    }

    /**
     * (b) Kept-alive leases keep their keys while the leader is paused (it wakes up deposed, with a
     * clock that says every lease ran out) and killed; abandoned ones lose theirs in time.
     */
    @Test
    void leasesKeepTheirKeysWhileKeptAliveAndLoseThemInTime() {
        Schedule s = schedule("coord-lease",
                new Step(0.15, new Pause(Target.LEADER)), new Step(0.35, new ResumeAll()),
                new Step(0.5, new Kill(Target.LEADER)), new Step(0.7, new RestartAll()),
                new Step(0.75, new Pause(Target.FOLLOWER)), new Step(0.9, new ResumeAll()));
        Duration electionTimeout = DurationStyle.detectAndParse(
                Schedules.nodeSettings().getOrDefault("raftkv.timing.election-timeout", "150ms"));
        long seed = CoordinationSchedules.seed();
        LeaseCheck.Result r = LeaseCheck.run(cluster, s, electionTimeout, seed);
        log.info("{} (-Djepsen.seed={}): {}", s.name(), seed, r);
        assertThat(r.violations()).as(r.toString()).isEmpty();
        assertThat(r.leases()).as("leases granted").isGreaterThan(8);
        assertThat(r.goneAfter()).as("keys seen gone after their lease was abandoned").hasSizeGreaterThan(16);
    }

    /** (c) Bank transfers as transactions through every node keep the total and apply exactly once. */
    @Test
    void bankTransfersAreLinearizable() {
        Schedule s = schedule("coord-bank",
                new Step(0.2, new Kill(Target.LEADER)), new Step(0.4, new RestartAll()),
                new Step(0.55, new Pause(Target.LEADER)), new Step(0.7, new ResumeAll()),
                new Step(0.75, new Kill(Target.RANDOM)), new Step(0.9, new RestartAll()));
        long seed = CoordinationSchedules.seed();
        BankCheck.Result r = BankCheck.run(cluster, s, seed);
        log.info("{} (-Djepsen.seed={}): {}", s.name(), seed, r);
        assertThat(r.violations()).as(r.toString()).isEmpty();
        assertThat(r.applied()).as("transfers applied").isGreaterThan(30);
        assertThat(r.refused()).as("transfers refused by their comparison").isGreaterThan(0);
    }
}
