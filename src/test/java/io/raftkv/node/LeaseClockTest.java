package io.raftkv.node;

import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LeaseClockTest {
    private static final long MS = 1_000_000L;
    private final LeaseClock clock = new LeaseClock(Duration.ofMillis(50));

    private static List<Leases.Lease> lease(long renewedAt) {
        return List.of(new Leases.Lease(7, 100, renewedAt, List.of("k")));
    }

    @Test
    void aNewLeaderGivesEveryLeaseItsTtlPlusAnElectionTimeoutThenProposesOneExpirationPerTimeout() {
        assertThat(clock.check(true, 3, lease(7), 0)).isEmpty();
        assertThat(clock.check(true, 3, lease(7), 149 * MS)).isEmpty();
        assertThat(clock.check(true, 3, lease(7), 150 * MS)).containsExactly(new LeaseCommand.Expire(3, 7, 7));
        assertThat(clock.check(true, 3, lease(7), 199 * MS)).as("not again before an election timeout").isEmpty();
        assertThat(clock.check(true, 3, lease(7), 200 * MS)).containsExactly(new LeaseCommand.Expire(3, 7, 7));
    }

    @Test
    void aRenewalSeenAppliedIsTimedFromThenForOneTtl() {
        clock.check(true, 3, lease(7), 0);
        assertThat(clock.check(true, 3, lease(9), 140 * MS)).isEmpty();
        assertThat(clock.remaining(7, 9, 190 * MS)).contains(Duration.ofMillis(50));
        assertThat(clock.check(true, 3, lease(9), 239 * MS)).isEmpty();
        assertThat(clock.check(true, 3, lease(9), 240 * MS)).containsExactly(new LeaseCommand.Expire(3, 7, 9));
    }

    @Test
    void aFollowerForgetsItsDeadlinesAndLeadingAgainStartsOverWithTheNewTerm() {
        clock.check(true, 3, lease(7), 0);
        assertThat(clock.check(false, 4, List.of(), 150 * MS)).isEmpty();
        assertThat(clock.remaining(7, 7, 150 * MS)).isEmpty();
        assertThat(clock.check(true, 5, lease(7), 160 * MS)).as("timed anew, with the extra election timeout").isEmpty();
        assertThat(clock.check(true, 5, lease(7), 309 * MS)).isEmpty();
        assertThat(clock.check(true, 5, lease(7), 310 * MS)).containsExactly(new LeaseCommand.Expire(5, 7, 7));
    }
}
