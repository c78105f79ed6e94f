package io.raftkv.members;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class AutopilotScheduleTest {

    @Test
    void reconcilesRepeatedlyWhileRunningAndNotAfterStop() throws InterruptedException {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3", "raftkv-4");
        DesiredSizeTwin size = new DesiredSizeTwin();
        size.set(3);
        Reconciler r = new Reconciler(twin, size, new Planner(Duration.ZERO, Duration.ofMinutes(2), Duration.ZERO),
                new CatchUpTracker(250), 3, Duration.ofSeconds(5), Clock.systemUTC());
        AutopilotSchedule schedule = new AutopilotSchedule(r, Duration.ofMillis(100));

        schedule.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (twin.voters().size() > 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        schedule.stop();

        assertThat(twin.calls()).as("two reconciles, one removal each").containsExactly("remove raftkv-4", "remove raftkv-3");
        assertThat(schedule.isRunning()).isFalse();
        size.set(4);
        twin.join("raftkv-3~5e5e5e");
        twin.catchUp("raftkv-3~5e5e5e");
        Thread.sleep(500); // five intervals in which a running schedule would promote it
        assertThat(twin.calls()).as("nothing after stop").hasSize(2);
        assertThat(r.reconcileOnce().action()).as("though there was something to do").isEqualTo("promote raftkv-3~5e5e5e");
    }
}
