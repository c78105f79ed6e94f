package io.raftkv.raft;

import io.raftkv.raft.Quorum.VoteResult;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The majority rule every part of the core counts with, checked against the rules that use it. */
class QuorumTest {

    private static final Quorum THREE = new Quorum(List.of("a", "b", "c"));
    private static final Quorum FOUR = new Quorum(List.of("a", "b", "c", "d"));
    private static final Quorum FIVE = new Quorum(List.of("a", "b", "c", "d", "e"));

    private static Map<String, Boolean> votes(Object... idThenGranted) {
        Map<String, Boolean> out = new HashMap<>();
        for (int i = 0; i < idThenGranted.length; i += 2) {
            out.put((String) idThenGranted[i], (Boolean) idThenGranted[i + 1]);
        }
        return out;
    }

    @Test
    void aMajorityIsMoreThanHalf() {
        // Two majorities of the same cluster always share a member; half of an even cluster is not enough.
        assertThat(IntStream.rangeClosed(1, 7).map(Quorum::majority).toArray()).containsExactly(1, 2, 2, 3, 3, 4, 4);
    }

    // ---------------------------------------------------------------- §5.2 votes, §9.6 pre-votes

    @Test
    void s5_2_aCandidateWinsWithVotesFromAMajorityOfTheFullCluster() {
        // §5.2: "A candidate wins an election if it receives votes from a majority of the servers in
        // the full cluster for the same term."
        assertThat(THREE.voteResult(votes("a", true))).isEqualTo(VoteResult.PENDING);
        assertThat(THREE.voteResult(votes("a", true, "b", true))).isEqualTo(VoteResult.WON);
        assertThat(FIVE.voteResult(votes("a", true, "b", true, "c", false, "d", false))).isEqualTo(VoteResult.PENDING);
        assertThat(FIVE.voteResult(votes("a", true, "b", true, "c", false, "d", false, "e", true))).isEqualTo(VoteResult.WON);
    }

    @Test
    void s5_2_anElectionIsLostOnceTheRefusalsLeaveNoMajority() {
        // §5.2: the candidate goes back to follower when it cannot win; it need not wait for the timeout.
        assertThat(THREE.voteResult(votes("a", true, "b", false))).isEqualTo(VoteResult.PENDING);
        assertThat(THREE.voteResult(votes("a", true, "b", false, "c", false))).isEqualTo(VoteResult.LOST);
        assertThat(FIVE.voteResult(votes("b", false, "c", false))).isEqualTo(VoteResult.PENDING);
        assertThat(FIVE.voteResult(votes("b", false, "c", false, "d", false))).isEqualTo(VoteResult.LOST);
    }

    @Test
    void s5_2_votesFromOutsideTheClusterDoNotCount() {
        // "the servers in the full cluster": a vote from a removed or unknown server is no vote.
        assertThat(THREE.voteResult(votes("a", true, "x", true, "y", true))).isEqualTo(VoteResult.PENDING);
        assertThat(THREE.voteResult(votes("a", true, "x", false, "y", false))).isEqualTo(VoteResult.PENDING);
    }

    @Test
    void s9_6_aPreCandidateNeedsAStrictMajorityEvenInAnEvenCluster() {
        // §9.6: "a candidate only increments its term if it first learns from a majority of the
        // cluster that they would be willing to grant the candidate their votes". Two of four is a tie.
        assertThat(FOUR.voteResult(votes("a", true, "b", true))).isEqualTo(VoteResult.PENDING);
        assertThat(FOUR.voteResult(votes("a", true, "b", true, "c", false, "d", false))).isEqualTo(VoteResult.LOST);
        assertThat(FOUR.voteResult(votes("a", true, "b", true, "c", true))).isEqualTo(VoteResult.WON);
    }

    @Test
    void aOneVoterClusterElectsItselfAtOnce() {
        assertThat(new Quorum(List.of("a")).voteResult(votes("a", true))).isEqualTo(VoteResult.WON);
    }

    // ---------------------------------------------------------------- §5.3 commit

    @Test
    void s5_3_theCommittedIndexIsTheHighestIndexAMajorityHolds() {
        // §5.3: "A log entry is committed once the leader that created the entry has replicated it on a
        // majority of the servers" (whether it may commit yet is §5.4.2's question, asked by the caller).
        assertThat(THREE.committedIndex(Map.of("a", 5L, "b", 3L, "c", 1L)::get)).isEqualTo(3);
        assertThat(FIVE.committedIndex(Map.of("a", 9L, "b", 9L, "c", 2L, "d", 7L, "e", 1L)::get)).isEqualTo(7);
        assertThat(FOUR.committedIndex(Map.of("a", 4L, "b", 3L, "c", 2L, "d", 1L)::get))
                .as("three of four hold index 2; only two hold 3").isEqualTo(2);
    }

    @Test
    void s5_3_onlyVotersCountTowardsTheCommitIndex() {
        // A leader that removed itself (dissertation §4.2.2) commits with the new majority, not its own copy.
        Map<String, Long> match = Map.of("old-leader", 10L, "b", 10L, "c", 4L);
        assertThat(new Quorum(List.of("b", "c")).committedIndex(v -> match.getOrDefault(v, 0L))).isEqualTo(4);
    }

    @Test
    void s5_3_theCommittedIndexMatchesCountingEveryCandidateIndex() {
        // The definition, by brute force: the largest N such that a majority has matchIndex >= N.
        Random rnd = new Random(7);
        for (int trial = 0; trial < 2_000; trial++) {
            int n = 1 + rnd.nextInt(7);
            List<String> voters = IntStream.range(0, n).mapToObj(i -> "v" + i).toList();
            Map<String, Long> match = new HashMap<>();
            voters.forEach(v -> match.put(v, (long) rnd.nextInt(20)));
            long expected = 0;
            for (long candidate = 1; candidate < 20; candidate++) {
                long c = candidate;
                if (match.values().stream().filter(m -> m >= c).count() * 2 > n) {
                    expected = candidate;
                }
            }
            assertThat(new Quorum(voters).committedIndex(match::get)).as("%s", match).isEqualTo(expected);
        }
    }

    // ---------------------------------------------------------------- §6.2 CheckQuorum, §6.4 ReadIndex

    @Test
    void s6_2_aLeaderHeardFromByAMinorityHasNoQuorum() {
        // §6.2: "a leader steps down if an election timeout elapses without a successful round of
        // heartbeats to a majority of its cluster".
        assertThat(FIVE.hasQuorum(Set.of("a", "b")::contains)).isFalse();
        assertThat(FIVE.hasQuorum(Set.of("a", "b", "e")::contains)).isTrue();
        assertThat(FIVE.hasQuorum(Set.of("a", "b", "x", "y")::contains)).as("non-voters are no part of it").isFalse();
    }

    @Test
    void s6_4_halfOfAnEvenClusterCannotConfirmALeader() {
        // §6.4: the leader waits for "acknowledgments from a majority of the cluster"; with half, a
        // newer leader could exist on the other half.
        assertThat(FOUR.hasQuorum(Set.of("a", "b")::contains)).isFalse();
        assertThat(FOUR.hasQuorum(Set.of("a", "b", "d")::contains)).isTrue();
    }

    @Test
    void anEmptyVoterSetAgreesToNothing() {
        Quorum none = new Quorum(List.of());
        assertThat(none.hasQuorum(v -> true)).isFalse();
        assertThat(none.voteResult(votes("a", true))).isEqualTo(VoteResult.LOST);
        assertThat(none.committedIndex(v -> 99)).isZero();
    }
}
