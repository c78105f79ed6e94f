package io.raftkv.members;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.raftkv.raft.NotLeaderException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The reconciler against the in-memory membership twin: steps carried out, decisions kept, problems logged once. */
class ReconcilerTest {
    static final Duration STABLE = Duration.ofSeconds(10);

    private final MutableClock clock = new MutableClock();
    private final DesiredSizeTwin size = new DesiredSizeTwin();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Reconciler.class);

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
    }

    static Reconciler reconciler(MembershipPort port, DesiredSize size, MutableClock clock) {
        return new Reconciler(port, size, new Planner(STABLE, Duration.ofMinutes(2), Duration.ofMinutes(1)),
                new CatchUpTracker(250), 3, Duration.ofSeconds(5), clock);
    }

    /**
     * Reconciles every 5 s of the clock until four rounds in a row (longer than stable-for) change
     * nothing, at most 40 rounds; returns the actions taken.
     */
    static List<String> reconcileUntilQuiet(Reconciler r, MutableClock clock) {
        List<String> actions = new ArrayList<>();
        int quiet = 0;
        for (int round = 0; round < 40 && quiet < 4; round++) {
            Decision d = r.reconcileOnce();
            clock.advance(Duration.ofSeconds(5));
            if (d.action().equals(Decision.NONE) && d.problem() == null) {
                quiet++;
            } else {
                quiet = 0;
                actions.add(d.action());
            }
        }
        if (quiet == 4) {
            return actions;
        }
        throw new AssertionError("still changing after 40 rounds: " + actions);
    }

    @Test
    void growsToTheStoredSizeAndShrinksBack() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2");
        Reconciler r = reconciler(twin, size, clock);
        size.set(5);
        twin.join("raftkv-3");
        twin.join("raftkv-4");
        r.reconcileOnce();
        twin.catchUp("raftkv-3");
        twin.catchUp("raftkv-4");

        assertThat(reconcileUntilQuiet(r, clock)).containsExactly("promote raftkv-3", "promote raftkv-4");
        size.set(3);
        assertThat(reconcileUntilQuiet(r, clock)).containsExactly("remove raftkv-4", "remove raftkv-3");
        assertThat(twin.voters()).containsExactly("raftkv-0", "raftkv-1", "raftkv-2");
        assertThat(r.lastDecision().reason()).isEqualTo("3 voters, as desired");
    }

    @Test
    void withoutASizeAReplacedNameIsPromotedAgain() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2");
        Reconciler r = reconciler(twin, size, clock);
        twin.silence("raftkv-1");
        twin.join("raftkv-1~3fa9c1");

        assertThat(reconcileUntilQuiet(r, clock)).containsExactly("remove raftkv-1");
        twin.catchUp("raftkv-1~3fa9c1");
        assertThat(reconcileUntilQuiet(r, clock)).containsExactly("promote raftkv-1~3fa9c1");
        assertThat(twin.voters()).containsExactly("raftkv-0", "raftkv-2", "raftkv-1~3fa9c1");
    }

    @Test
    void onAFollowerNothingHappens() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2");
        twin.join("raftkv-3");
        twin.catchUp("raftkv-3");
        twin.leading(false);
        size.set(4);
        Reconciler r = reconciler(twin, size, clock);

        assertThat(reconcileUntilQuiet(r, clock)).isEmpty();
        assertThat(r.lastDecision().reason()).isEqualTo("not the leader");
        assertThat(twin.calls()).isEmpty();
    }

    @Test
    void aFailedStepIsShownAndLoggedOncePerReason() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");
        size.set(3);
        Reconciler r = reconciler(twin, size, clock);

        for (int i = 0; i < 3; i++) {
            twin.failNextChange(new IllegalStateException("another membership change is in progress"));
            Decision d = r.reconcileOnce();
            assertThat(d.action()).isEqualTo("remove raftkv-3");
            assertThat(d.problem()).isEqualTo("remove raftkv-3 failed: another membership change is in progress");
        }
        assertThat(twin.voters()).contains("raftkv-3");
        assertThat(warnings()).containsExactly("autopilot: remove raftkv-3 failed: another membership change is in progress"
                + " (scale down to 3 voters)");

        assertThat(r.reconcileOnce().problem()).as("succeeds once the change is accepted").isNull();
        assertThat(twin.voters()).doesNotContain("raftkv-3");
    }

    @Test
    void aStepThatNeverFinishesIsReportedAfterTheStepTimeout() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");
        size.set(3);
        MembershipPort hanging = new Delegating(twin) {
            @Override
            public CompletableFuture<?> remove(String memberId) {
                return new CompletableFuture<>();
            }
        };
        Reconciler r = new Reconciler(hanging, size, new Planner(STABLE, Duration.ofMinutes(2), Duration.ofMinutes(1)),
                new CatchUpTracker(250), 3, Duration.ofSeconds(1), clock);

        Decision d = r.reconcileOnce();

        assertThat(d.problem()).isEqualTo("remove raftkv-3 did not finish within 1s; its outcome shows in the members next time");
    }

    @Test
    void leadershipLostDuringAStepIsNoProblem() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");
        size.set(3);
        twin.failNextChange(new NotLeaderException("raftkv-1", "not the leader"));
        Reconciler r = reconciler(twin, size, clock);

        Decision d = r.reconcileOnce();

        assertThat(d.problem()).isEqualTo("lost leadership before it finished");
        assertThat(warnings()).isEmpty();
    }

    @Test
    void anUnreadableSizeChangesNothingAndSaysWhy() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");
        DesiredSize broken = () -> {
            throw new DesiredSizeUnavailableException("the Kubernetes API refused (403)", null);
        };
        Reconciler r = reconciler(twin, broken, clock);

        r.reconcileOnce();
        Decision d = r.reconcileOnce();

        assertThat(d.action()).isEqualTo(Decision.NONE);
        assertThat(d.problem()).isEqualTo("the Kubernetes API refused (403)");
        assertThat(twin.calls()).isEmpty();
        assertThat(warnings()).containsExactly("autopilot: the Kubernetes API refused (403) (the desired size is unknown, so nothing changes)");
        assertThat(new AutopilotHealthIndicator(r).health().getDetails()).containsEntry("problem", "the Kubernetes API refused (403)");
    }

    @Test
    void aNodeThatCannotReportItsMembersChangesNothingAndSaysWhyOnce() {
        MembershipPort stopped = new Delegating(new MembershipTwin("raftkv-0")) {
            @Override
            public Members members() {
                throw new IllegalStateException("the node has stopped");
            }
        };
        Reconciler r = reconciler(stopped, size, clock);

        r.reconcileOnce();
        Decision d = r.reconcileOnce();

        assertThat(d.problem()).isEqualTo("cannot read the members: the node has stopped");
        assertThat(warnings()).containsExactly("autopilot: cannot read the members: the node has stopped"
                + " (the members are unknown, so nothing changes)");
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Passes every call to a twin; a test overrides what it wants to break. */
    static class Delegating implements MembershipPort {
        private final MembershipPort to;

        Delegating(MembershipPort to) {
            this.to = to;
        }

        @Override
        public Members members() {
            return to.members();
        }

        @Override
        public CompletableFuture<?> promote(String memberId) {
            return to.promote(memberId);
        }

        @Override
        public CompletableFuture<?> remove(String memberId) {
            return to.remove(memberId);
        }

        @Override
        public CompletableFuture<?> transferLeadership(String memberId) {
            return to.transferLeadership(memberId);
        }
    }
}
