package io.raftkv.raft;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ReadIndex bookkeeping (dissertation §6.4): which reads a heartbeat round confirms, at which index,
 * in which order. The leader is "a"; "b" and "c" follow.
 */
class ReadIndexQueueTest {

    private static final Quorum THREE = new Quorum(List.of("a", "b", "c"));

    private final ReadIndexQueue reads = new ReadIndexQueue();

    @Test
    void s6_4_aReadIsServedOnlyAfterAMajorityAnswersARoundStartedAfterIt() {
        // §6.4 step 3: "It issues a new round of heartbeats and waits for their acknowledgments from a
        // majority of the cluster."
        reads.add(1, 10, "a");
        assertThat(reads.release(THREE)).as("the leader alone is no majority of three").isEmpty();
        assertThat(reads.startRound()).isTrue();
        assertThat(reads.round()).isEqualTo(1);
        reads.ack("b", 0);
        assertThat(reads.release(THREE)).as("an answer to an earlier round proves nothing about this read").isEmpty();
        reads.ack("b", 1);
        assertThat(reads.release(THREE)).containsExactly(new ReadState(1, 10));
        assertThat(reads.release(THREE)).as("a read is released once").isEmpty();
    }

    @Test
    void s6_4_theReadKeepsTheCommitIndexOfTheMomentItArrived() {
        // §6.4 step 2: "The leader saves its current commit index in a local variable readIndex."
        reads.add(1, 10, "a");
        reads.add(2, 12, "a");
        reads.startRound();
        reads.ack("c", reads.round());
        assertThat(reads.release(THREE)).containsExactly(new ReadState(1, 10), new ReadState(2, 12));
    }

    @Test
    void s6_4_oneRoundConfirmsEveryReadWaitingForIt() {
        // §6.4: "it can use a single round of heartbeats for any number of read-only queries that it has
        // accumulated."
        for (long id = 1; id <= 5; id++) {
            reads.add(id, 7, "a");
        }
        assertThat(reads.startRound()).isTrue();
        assertThat(reads.startRound()).as("no read arrived since the round started").isFalse();
        reads.ack("b", 1);
        assertThat(reads.release(THREE)).extracting(ReadState::requestId).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void s6_4_aReadArrivingDuringARoundWaitsForTheNextOne() {
        // Heartbeats sent before the read arrived cannot show the leader was still leader after it.
        reads.add(1, 10, "a");
        reads.startRound();
        reads.add(2, 11, "a");
        reads.ack("b", 1);
        assertThat(reads.release(THREE)).containsExactly(new ReadState(1, 10));
        assertThat(reads.startRound()).isTrue();
        reads.ack("c", 2);
        assertThat(reads.release(THREE)).containsExactly(new ReadState(2, 11));
    }

    @Test
    void s6_4_anAnswerToALaterRoundReleasesEveryEarlierReadInOrder() {
        reads.add(1, 10, "a");
        reads.startRound();
        reads.add(2, 11, "a");
        reads.startRound();
        reads.add(3, 12, "a");
        reads.startRound();
        reads.ack("b", 3);
        reads.ack("b", 1); // a late answer to an old round takes nothing back
        assertThat(reads.release(THREE)).extracting(ReadState::requestId).containsExactly(1L, 2L, 3L);
    }

    @Test
    void oneRoundInFlightAtATimeAndEveryReadArrivingMeanwhileRidesTheNext() {
        reads.add(1, 10, "a");
        assertThat(reads.startRound()).isTrue();
        reads.add(2, 11, "a");
        reads.add(3, 12, "a");
        assertThat(reads.startRound()).as("round 1 still waits for its majority").isFalse();
        assertThat(reads.round()).isEqualTo(1);
        reads.ack("b", 1);
        assertThat(reads.release(THREE)).containsExactly(new ReadState(1, 10));
        assertThat(reads.startRound()).as("round 1 answered: one round for both reads that waited").isTrue();
        assertThat(reads.round()).isEqualTo(2);
        reads.ack("c", 2);
        assertThat(reads.release(THREE)).extracting(ReadState::requestId).containsExactly(2L, 3L);
        assertThat(reads.startRound()).isFalse();
    }

    @Test
    void s6_4_answersFromOutsideTheClusterConfirmNothing() {
        reads.add(1, 10, "a");
        reads.startRound();
        reads.ack("removed", 1);
        assertThat(reads.release(THREE)).isEmpty();
    }

    @Test
    void s6_4_aOneVoterLeaderConfirmsItsOwnReadsWithoutARound() {
        // Its own acknowledgment is a majority of one: no heartbeat round is needed.
        reads.add(1, 4, "a");
        assertThat(reads.release(new Quorum(List.of("a")))).containsExactly(new ReadState(1, 4));
        assertThat(reads.startRound()).isFalse();
    }

    @Test
    void s6_4_readsBeforeTheTermsFirstCommitWaitInArrivalOrder() {
        // §6.4 step 1: "If the leader has not yet marked an entry from its current term committed, it
        // waits until it has done so."
        reads.park(3);
        reads.park(1);
        assertThat(reads.unpark()).containsExactly(3L, 1L);
        assertThat(reads.unpark()).as("each parked read is handed back once").isEmpty();
    }

    @Test
    void s6_4_aLeaderThatLosesLeadershipServesNoneOfItsWaitingReads() {
        reads.park(9);
        reads.add(1, 10, "a");
        reads.startRound();
        reads.ack("b", 1);
        reads.clear();
        assertThat(reads.release(THREE)).isEmpty();
        assertThat(reads.unpark()).isEmpty();
        reads.add(2, 20, "a");
        assertThat(reads.release(THREE)).as("answers from the old leadership are gone").isEmpty();
    }
}
