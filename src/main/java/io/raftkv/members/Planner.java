package io.raftkv.members;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Decides the one next membership change, or none, from what the leader sees. Pure: the same view
 * and tracker give the same plan. The rules, in the order they are tried:
 * <ol>
 *   <li>nothing while a membership change is uncommitted (one change at a time);</li>
 *   <li>scale-down: more voters than wanted, never below the minimum: remove the highest ordinal,
 *       after handing leadership away if the leader is that voter;</li>
 *   <li>replacement: a voter whose name now runs as a newer member (a learner of that name that the
 *       leader hears, while the old id is silent: a pod that lost its disk) is removed, and the
 *       learner is then promoted by the next rule;</li>
 *   <li>promotion: fewer wanted voters than desired: promote the lowest-ordinal wanted learner that
 *       has been caught up for {@code stableFor};</li>
 *   <li>clean-up: remove a learner past the desired size for {@code learnerGrace}, or a learner
 *       silent for {@code deadAfter} whose name a live member carries now.</li>
 * </ol>
 * A voter silent for {@code deadAfter} with no replacement is left alone (its name's pod may come
 * back with its disk) unless scale-down takes it. No voter is removed when the voters left would
 * not have a live majority: that change could not commit.
 */
public final class Planner {
    private final Duration stableFor;
    private final Duration deadAfter;
    private final Duration learnerGrace;

    public Planner(Duration stableFor, Duration deadAfter, Duration learnerGrace) {
        this.stableFor = stableFor;
        this.deadAfter = deadAfter;
        this.learnerGrace = learnerGrace;
    }

    public Plan plan(ClusterView view, CatchUpTracker tracker) {
        if (view.changePending()) {
            return Plan.none("a membership change is not committed yet");
        }
        List<Member> voters = view.voters();
        OptionalInt desired = view.desiredSize();
        int wantedVoters = desired.isPresent() ? desired.getAsInt() : voters.size() + replacementsUnderway(view, tracker);
        int minimum = Math.min(view.minVoters(), voters.size());
        List<String> waiting = new ArrayList<>();

        if (voters.size() > Math.max(wantedVoters, minimum)) {
            Member victim = voters.stream().sorted(MemberNames.REMOVAL).findFirst().orElseThrow();
            Plan p = removeVoter(view, victim, null, "scale down to " + wantedVoters + " voters");
            if (p.step().isPresent()) {
                return p;
            }
            waiting.add(p.reason());
        } else if (voters.size() > wantedVoters) {
            waiting.add("the desired size " + wantedVoters + " is below the minimum of " + minimum + " voters");
        }

        for (Member voter : voters.stream().sorted(MemberNames.PROMOTION).toList()) {
            Optional<Member> successor = view.learners().stream()
                    .filter(l -> l.name().equals(voter.name()) && l.recentlyHeard()).findFirst();
            if (successor.isEmpty() || !MemberNames.wanted(voter.name(), desired)) {
                continue;
            }
            if (voter.recentlyHeard()) {
                waiting.add(voter.id() + " and " + successor.get().id() + " share a name and both answer: not replacing");
                continue;
            }
            Plan p = removeVoter(view, voter, successor.get().id(), "replace " + voter.id() + " by " + successor.get().id());
            if (p.step().isPresent()) {
                return p;
            }
            waiting.add(p.reason());
        }

        long wantedNow = voters.stream().filter(v -> MemberNames.wanted(v.name(), desired)).count();
        if (wantedNow < wantedVoters) {
            Set<String> voterNames = names(voters);
            List<Member> candidates = view.learners().stream()
                    .filter(l -> MemberNames.wanted(l.name(), desired) && !voterNames.contains(l.name()))
                    .filter(l -> desired.isPresent() || tracker.replacing().contains(l.name()))
                    .sorted(MemberNames.PROMOTION).toList();
            for (Member l : candidates) {
                if (l.recentlyHeard() && tracker.caughtUpFor(l.id()).compareTo(stableFor) >= 0) {
                    return Plan.of(new Step.Promote(l.id()), "caught up for " + seconds(tracker.caughtUpFor(l.id()))
                            + " (lag " + l.lag() + "); " + wantedNow + " of " + wantedVoters + " voters");
                }
            }
            waiting.add(candidates.isEmpty()
                    ? wantedNow + " of " + wantedVoters + " voters: no learner to promote yet"
                    : wantedNow + " of " + wantedVoters + " voters: waiting for " + candidates.stream()
                    .map(l -> l.id() + " (lag " + l.lag() + ", caught up for " + seconds(tracker.caughtUpFor(l.id()))
                            + " of " + seconds(stableFor) + ")").toList());
        }

        for (Member l : view.learners().stream().sorted(MemberNames.REMOVAL).toList()) {
            if (desired.isPresent() && tracker.unwantedFor(l.id()).compareTo(learnerGrace) >= 0) {
                return Plan.of(new Step.Remove(l.id(), null), "learner past the desired size "
                        + desired.getAsInt() + " for " + seconds(tracker.unwantedFor(l.id())));
            }
            boolean superseded = view.members().stream()
                    .anyMatch(m -> m.name().equals(l.name()) && !m.id().equals(l.id()) && m.recentlyHeard());
            if (superseded && !l.recentlyHeard() && tracker.silentFor(l.id()).compareTo(deadAfter) >= 0) {
                return Plan.of(new Step.Remove(l.id(), null), "silent learner whose name a live member carries now");
            }
        }

        for (Member v : voters) {
            if (!v.recentlyHeard() && tracker.silentFor(v.id()).compareTo(deadAfter) >= 0) {
                waiting.add(v.id() + " not heard for " + seconds(tracker.silentFor(v.id()))
                        + " and not replaced: left alone");
            }
        }
        return Plan.none(waiting.isEmpty() ? voters.size() + " voters, as desired" : String.join("; ", waiting));
    }

    /** Removing a voter: first hand leadership away from it, and only if the rest keep a live majority. */
    private Plan removeVoter(ClusterView view, Member victim, String replacedBy, String why) {
        List<Member> rest = view.voters().stream().filter(v -> !v.id().equals(victim.id())).toList();
        long live = rest.stream().filter(v -> v.recentlyHeard() || v.id().equals(view.leaderId())).count();
        if (live < rest.size() / 2 + 1) {
            return Plan.none(why + ": not removing " + victim.id() + ", the " + rest.size()
                    + " voters left would have only " + live + " live, no majority");
        }
        if (!victim.id().equals(view.leaderId())) {
            return Plan.of(new Step.Remove(victim.id(), replacedBy), why);
        }
        // To a voter that stays, so that the next scale-down step does not move leadership again. The
        // live majority above includes at least one live voter to take over.
        Member to = rest.stream().filter(Member::recentlyHeard)
                .min(Comparator.comparing((Member v) -> !MemberNames.wanted(v.name(), view.desiredSize()))
                        .thenComparingLong(Member::lag).thenComparing(MemberNames.PROMOTION))
                .orElseThrow();
        return Plan.of(new Step.TransferLeadership(to.id()), why + ": the leader " + victim.id()
                + " goes, so it hands leadership over first");
    }

    /** Without a desired size: learners taking over a name whose old member autopilot removed. */
    private static int replacementsUnderway(ClusterView view, CatchUpTracker tracker) {
        Set<String> voterNames = names(view.voters());
        return (int) view.learners().stream().map(Member::name).distinct()
                .filter(n -> tracker.replacing().contains(n) && !voterNames.contains(n)).count();
    }

    private static Set<String> names(List<Member> members) {
        return Set.copyOf(members.stream().map(Member::name).toList());
    }

    private static String seconds(Duration d) {
        return d.toSeconds() + "s";
    }
}
