package io.raftkv.members;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/** The planner's rules one by one, then the scenarios they make up: scale 3→5→3, a lost disk, removing the leader. */
class PlannerTest {
    private static final Duration STABLE = Duration.ofSeconds(10);
    private static final Duration DEAD = Duration.ofMinutes(2);
    private static final Duration GRACE = Duration.ofMinutes(1);
    private static final OptionalInt UNSET = OptionalInt.empty();

    private final Planner planner = new Planner(STABLE, DEAD, GRACE);
    private final CatchUpTracker tracker = new CatchUpTracker(250);
    private final Instant start = Instant.parse("2026-11-30T12:00:00Z");

    // --- the rules ---

    @Test
    void oneChangeAtATime_nothingWhileAChangeIsUncommitted() {
        ClusterView v = new ClusterView("raftkv-0", List.of(voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"),
                learner("raftkv-3", 0)), true, OptionalInt.of(5), 3);
        observe(v, Duration.ZERO);
        observe(v, STABLE);

        Plan p = planner.plan(v, tracker);

        assertThat(p.step()).isEmpty();
        assertThat(p.reason()).contains("not committed yet");
    }

    @Test
    void promotion_aLearnerIsPromotedOnlyAfterBeingCaughtUpForStableFor() {
        ClusterView v = view(5, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("raftkv-3", 250));

        assertThat(plan(v, Duration.ZERO).step()).isEmpty();
        assertThat(plan(v, STABLE.minusSeconds(1)).reason()).contains("raftkv-3 (lag 250, caught up for 9s of 10s)");
        assertThat(plan(v, STABLE).step()).contains(new Step.Promote("raftkv-3"));
    }

    @Test
    void promotion_aLagBlipRestartsTheStableTime() {
        ClusterView caughtUp = view(5, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("raftkv-3", 10));
        ClusterView behind = view(5, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("raftkv-3", 251));

        plan(caughtUp, Duration.ZERO);
        plan(behind, Duration.ofSeconds(5));
        assertThat(plan(caughtUp, Duration.ofSeconds(6)).step()).isEmpty();
        assertThat(plan(caughtUp, Duration.ofSeconds(15)).step()).as("only 9s since it caught up again").isEmpty();
        assertThat(plan(caughtUp, Duration.ofSeconds(16)).step()).contains(new Step.Promote("raftkv-3"));
    }

    @Test
    void promotion_aLearnerTheLeaderDoesNotHearIsNotPromoted() {
        Member silent = new Member("raftkv-3", "raftkv-3", false, 100, 0, false);
        ClusterView v = view(5, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), silent);

        plan(v, Duration.ZERO);
        assertThat(plan(v, STABLE.multipliedBy(10)).step()).isEmpty();
    }

    @Test
    void promotion_lowestOrdinalFirst_andNotBeyondTheDesiredSize() {
        ClusterView v = view(4, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"),
                learner("raftkv-4", 0), learner("raftkv-3", 0));
        plan(v, Duration.ZERO);

        assertThat(plan(v, STABLE).step()).contains(new Step.Promote("raftkv-3"));
        ClusterView promoted = view(4, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), voter("raftkv-3"),
                learner("raftkv-4", 0));
        assertThat(plan(promoted, STABLE).step()).as("raftkv-4 is past the desired size 4").isEmpty();
    }

    @Test
    void promotion_withoutADesiredSizeTheVotersStayAsTheyAre() {
        ClusterView v = view(UNSET, 3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("raftkv-3", 0));
        plan(v, Duration.ZERO);

        Plan p = plan(v, STABLE.plus(GRACE).multipliedBy(2));

        assertThat(p.step()).as("neither promoted nor removed").isEmpty();
        assertThat(p.reason()).isEqualTo("3 voters, as desired");
    }

    @Test
    void scaleDown_removesTheHighestOrdinalFirst() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-3"), voter("raftkv-1"), voter("raftkv-4"), voter("raftkv-2"));

        assertThat(plan(v, Duration.ZERO).step()).contains(new Step.Remove("raftkv-4", null));
    }

    @Test
    void scaleDown_namesWithoutAnOrdinalGoLast() {
        ClusterView v = new ClusterView("raftkv-0", List.of(voter("raftkv-0"), voter("n9"), voter("raftkv-1"), voter("raftkv-2")),
                false, OptionalInt.of(1), 1);

        assertThat(plan(v, Duration.ZERO).step()).contains(new Step.Remove("raftkv-2", null));
        ClusterView next = new ClusterView("n9", List.of(voter("raftkv-0"), voter("n9")), false, OptionalInt.of(1), 1);
        assertThat(plan(next, Duration.ZERO).step()).contains(new Step.Remove("raftkv-0", null));
    }

    @Test
    void scaleDown_theLeaderHandsLeadershipToAStayingVoterFirst() {
        ClusterView v = new ClusterView("raftkv-4", List.of(voter("raftkv-0"), lagging("raftkv-1", 40), voter("raftkv-2"),
                voter("raftkv-3"), voter("raftkv-4")), false, OptionalInt.of(3), 3);

        Plan p = plan(v, Duration.ZERO);

        assertThat(p.step()).as("raftkv-3 goes next, raftkv-1 lags: raftkv-0 is the lowest staying voter in step")
                .contains(new Step.TransferLeadership("raftkv-0"));
        assertThat(p.reason()).contains("the leader raftkv-4 goes, so it hands leadership over first");
    }

    @Test
    void scaleDown_theLeaderStaysWhenNoLiveVoterCanTakeOver() {
        ClusterView v = new ClusterView("raftkv-1", List.of(voter("raftkv-0"), voter("raftkv-1")), false, OptionalInt.of(1), 1);
        ClusterView deadPeer = new ClusterView("raftkv-1", List.of(silentVoter("raftkv-0"), voter("raftkv-1")), false,
                OptionalInt.of(1), 1);

        assertThat(plan(v, Duration.ZERO).step()).contains(new Step.TransferLeadership("raftkv-0"));
        Plan p = plan(deadPeer, Duration.ZERO);
        assertThat(p.step()).isEmpty();
        assertThat(p.reason()).contains("not removing raftkv-1, the 1 voters left would have only 0 live");
    }

    @Test
    void minimum_neverBelowMinVoters() {
        ClusterView v = view(OptionalInt.of(1), 3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"));

        Plan p = plan(v, Duration.ZERO);

        assertThat(p.step()).isEmpty();
        assertThat(p.reason()).contains("the desired size 1 is below the minimum of 3 voters");
        ClusterView four = view(OptionalInt.of(1), 3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), voter("raftkv-3"));
        assertThat(plan(four, Duration.ZERO).step()).as("down to the minimum, not below").contains(new Step.Remove("raftkv-3", null));
    }

    @Test
    void minimum_isTheVoterCountWhenThatIsSmaller() {
        ClusterView two = view(OptionalInt.of(1), 3, voter("raftkv-0"), voter("raftkv-1"));
        ClusterView one = view(OptionalInt.of(3), 3, voter("raftkv-0"), learner("raftkv-1", 0));

        assertThat(plan(two, Duration.ZERO).step()).as("two voters stay two").isEmpty();
        plan(one, Duration.ZERO);
        assertThat(plan(one, STABLE).step()).as("a one-node cluster grows").contains(new Step.Promote("raftkv-1"));
    }

    @Test
    void quorum_noVoterIsRemovedWhenTheRestWouldHaveNoLiveMajority() {
        ClusterView v = view(3, voter("raftkv-0"), silentVoter("raftkv-1"), silentVoter("raftkv-2"), voter("raftkv-3"),
                voter("raftkv-4"));

        Plan p = plan(v, Duration.ZERO);

        assertThat(p.step()).isEmpty();
        assertThat(p.reason()).contains("the 4 voters left would have only 2 live, no majority");
    }

    @Test
    void scaleDown_takesADeadVoterWhenItIsTheHighestOrdinal() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), voter("raftkv-3"), silentVoter("raftkv-4"));

        assertThat(plan(v, Duration.ZERO).step()).contains(new Step.Remove("raftkv-4", null));
    }

    @Test
    void deadVoter_withoutAReplacementIsLeftAlone() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-1"), silentVoter("raftkv-2"));
        plan(v, Duration.ZERO);

        Plan p = plan(v, DEAD);

        assertThat(p.step()).isEmpty();
        assertThat(p.reason()).contains("raftkv-2 not heard for 120s and not replaced: left alone");
    }

    @Test
    void replacement_theOldIdOfANameThatCameBackIsRemovedFirst() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-1"), silentVoter("raftkv-2"), learner("raftkv-2~3fa9c1", 5000));

        Plan p = plan(v, Duration.ZERO);

        assertThat(p.step()).as("at once, without waiting for dead-after or for the new member to catch up")
                .contains(new Step.Remove("raftkv-2", "raftkv-2~3fa9c1"));
    }

    @Test
    void replacement_notWhileBothMembersOfTheNameAnswer() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("raftkv-2~3fa9c1", 0));

        Plan p = plan(v, Duration.ZERO);

        assertThat(p.step()).isEmpty();
        assertThat(p.reason()).contains("raftkv-2 and raftkv-2~3fa9c1 share a name and both answer");
    }

    @Test
    void replacement_aLostDiskOfAnInitialMemberWithoutADesiredSizeStillEndsWithItsNamePromoted() {
        ClusterView before = view(UNSET, 3, voter("raftkv-0"), voter("raftkv-1"), silentVoter("raftkv-2"),
                learner("raftkv-2~3fa9c1", 5000));
        Plan remove = plan(before, Duration.ZERO);
        assertThat(remove.step()).contains(new Step.Remove("raftkv-2", "raftkv-2~3fa9c1"));
        tracker.replacing("raftkv-2"); // what the reconciler records once the removal committed

        ClusterView after = view(UNSET, 3, voter("raftkv-0"), voter("raftkv-1"), learner("raftkv-2~3fa9c1", 0));
        plan(after, Duration.ofSeconds(1));
        assertThat(plan(after, Duration.ofSeconds(1).plus(STABLE)).step()).contains(new Step.Promote("raftkv-2~3fa9c1"));
    }

    @Test
    void swap_aWantedLearnerIsPromotedBeforeAnUnwantedVoterGoes() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-2"), voter("raftkv-3"), learner("raftkv-1~aa11bb", 0));
        plan(v, Duration.ZERO);

        assertThat(plan(v, STABLE).step()).contains(new Step.Promote("raftkv-1~aa11bb"));
        ClusterView after = view(3, voter("raftkv-0"), voter("raftkv-1~aa11bb"), voter("raftkv-2"), voter("raftkv-3"));
        assertThat(plan(after, STABLE).step()).contains(new Step.Remove("raftkv-3", null));
    }

    @Test
    void cleanUp_aLearnerPastTheDesiredSizeIsRemovedAfterTheGrace() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("raftkv-3", 0));

        assertThat(plan(v, Duration.ZERO).step()).isEmpty();
        assertThat(plan(v, GRACE.minusSeconds(1)).step()).isEmpty();
        assertThat(plan(v, GRACE).step()).contains(new Step.Remove("raftkv-3", null));
    }

    @Test
    void cleanUp_aLearnerWithoutAnOrdinalIsNeverPastTheDesiredSize() {
        ClusterView v = view(3, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), learner("n4", 0));
        plan(v, Duration.ZERO);

        assertThat(plan(v, GRACE.multipliedBy(10)).step()).isEmpty();
    }

    @Test
    void cleanUp_aSilentLearnerWhoseNameALiveMemberCarriesIsRemovedAfterDeadAfter() {
        Member stale = new Member("raftkv-3~aaaaaa", "raftkv-3", false, 10, 90, false);
        ClusterView v = view(5, voter("raftkv-0"), voter("raftkv-1"), voter("raftkv-2"), stale, learner("raftkv-3~bbbbbb", 900));

        assertThat(plan(v, Duration.ZERO).step()).isEmpty();
        assertThat(plan(v, DEAD).step()).contains(new Step.Remove("raftkv-3~aaaaaa", null));
    }

    // --- scenarios: the planner's steps applied until it has nothing more to do ---

    @Test
    void scenario_scaleThreeToFiveToThree() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2");
        twin.join("raftkv-3");
        twin.join("raftkv-4");

        assertThat(run(twin, OptionalInt.of(5))).as("the new pods are behind").isEmpty();
        twin.catchUp("raftkv-3");
        twin.catchUp("raftkv-4");
        assertThat(run(twin, OptionalInt.of(5))).containsExactly("promote raftkv-3", "promote raftkv-4");
        assertThat(twin.voters()).hasSize(5);

        assertThat(run(twin, OptionalInt.of(3))).containsExactly("remove raftkv-4", "remove raftkv-3");
        assertThat(twin.voters()).containsExactly("raftkv-0", "raftkv-1", "raftkv-2");
    }

    @Test
    void scenario_replaceAfterLostDisk() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2");
        twin.silence("raftkv-2");
        twin.join("raftkv-2~3fa9c1");

        assertThat(run(twin, OptionalInt.of(3))).containsExactly("remove raftkv-2");
        twin.catchUp("raftkv-2~3fa9c1");
        assertThat(run(twin, OptionalInt.of(3))).containsExactly("promote raftkv-2~3fa9c1");
        assertThat(twin.voters()).containsExactly("raftkv-0", "raftkv-1", "raftkv-2~3fa9c1");
        assertThat(twin.learners()).isEmpty();
    }

    @Test
    void scenario_leaderRemovalOnScaleDown() {
        MembershipTwin twin = new MembershipTwin("raftkv-4", "raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");

        assertThat(run(twin, OptionalInt.of(3)))
                .containsExactly("transfer raftkv-0", "remove raftkv-4", "remove raftkv-3");
        assertThat(twin.leaderId()).isEqualTo("raftkv-0");
        assertThat(twin.voters()).containsExactlyInAnyOrder("raftkv-0", "raftkv-1", "raftkv-2");
    }

    @Test
    void scenario_neverBelowMinimum() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3", "raftkv-4");

        assertThat(run(twin, OptionalInt.of(1))).containsExactly("remove raftkv-4", "remove raftkv-3");
        assertThat(twin.voters()).containsExactly("raftkv-0", "raftkv-1", "raftkv-2");
    }

    /** Plans and applies steps until the planner has none (at most 20), moving time on by stable-for each round. */
    private List<String> run(MembershipTwin twin, OptionalInt desired) {
        List<String> applied = new ArrayList<>();
        Duration at = Duration.ZERO;
        for (int round = 0; round < 20; round++) {
            ClusterView v = ClusterView.of(twin.members(), desired, 3);
            tracker.observe(v, start.plus(at));
            at = at.plus(STABLE);
            tracker.observe(v, start.plus(at));
            Optional<Step> step = planner.plan(v, tracker).step();
            if (step.isEmpty()) {
                return applied;
            }
            int before = twin.calls().size();
            Step s = step.get();
            if (s instanceof Step.Promote) {
                twin.promote(s.memberId()).join();
            } else if (s instanceof Step.Remove) {
                twin.remove(s.memberId()).join();
            } else {
                twin.transferLeadership(s.memberId()).join();
            }
            applied.addAll(twin.calls().subList(before, twin.calls().size()));
        }
        throw new AssertionError("no end after 20 steps: " + applied);
    }

    private Plan plan(ClusterView v, Duration sinceStart) {
        observe(v, sinceStart);
        return planner.plan(v, tracker);
    }

    private void observe(ClusterView v, Duration sinceStart) {
        tracker.observe(v, start.plus(sinceStart));
    }

    private static ClusterView view(int desired, Member... members) {
        return view(OptionalInt.of(desired), 3, members);
    }

    private static ClusterView view(OptionalInt desired, int minVoters, Member... members) {
        return new ClusterView(members[0].id(), List.of(members), false, desired, minVoters);
    }

    private static Member voter(String id) {
        return new Member(id, id.split("~")[0], true, 100, 0, true);
    }

    private static Member lagging(String id, long lag) {
        return new Member(id, id.split("~")[0], true, 100 - lag, lag, true);
    }

    private static Member silentVoter(String id) {
        return new Member(id, id.split("~")[0], true, 50, 50, false);
    }

    private static Member learner(String id, long lag) {
        return new Member(id, id.split("~")[0], false, 5000 - lag, lag, true);
    }
}
