package io.raftkv.jepsen;

import io.raftkv.cluster.ClusterUnderTest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.DurationStyle;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs one of issue 13's coordination checks under a schedule and asserts on it: no violation, and
 * enough activity that the check had something to judge. Shared by the process and container ITs.
 */
final class CoordinationAssertions {
    private static final Logger log = LoggerFactory.getLogger(CoordinationAssertions.class);

    private CoordinationAssertions() {
    }

    static void watches(ClusterUnderTest cluster, Schedule s) {
        long seed = CoordinationSchedules.seed();
        WatchCheck.Result r = WatchCheck.run(cluster, s, seed);
        log.info("{} (-Djepsen.seed={}): {}", s.name(), seed, r);
        assertThat(r.violations()).as(r.toString()).isEmpty();
        assertThat(r.writes()).as("acknowledged writes").isGreaterThan(50);
        assertThat(r.segments()).as("streams: every watcher reconnected several times").isGreaterThan(cluster.nodes().size() * 3);
    }

    static void leases(ClusterUnderTest cluster, Schedule s) {
        long seed = CoordinationSchedules.seed();
        Duration electionTimeout = DurationStyle.detectAndParse(
                Schedules.nodeSettings().getOrDefault("raftkv.timing.election-timeout", "500ms"));
        LeaseCheck.Result r = LeaseCheck.run(cluster, s, electionTimeout, seed);
        log.info("{} (-Djepsen.seed={}): {}", s.name(), seed, r);
        assertThat(r.violations()).as(r.toString()).isEmpty();
        assertThat(r.leases()).as("leases granted").isGreaterThan(8);
        assertThat(r.goneAfter()).as("keys seen gone after their lease was abandoned").hasSizeGreaterThan(16);
    }

    static void bank(ClusterUnderTest cluster, Schedule s) {
        long seed = CoordinationSchedules.seed();
        BankCheck.Result r = BankCheck.run(cluster, s, seed);
        log.info("{} (-Djepsen.seed={}): {}", s.name(), seed, r);
        assertThat(r.violations()).as(r.toString()).isEmpty();
        assertThat(r.applied()).as("transfers applied").isGreaterThan(30);
        assertThat(r.refused()).as("transfers refused by their comparison").isGreaterThan(0);
    }
}
