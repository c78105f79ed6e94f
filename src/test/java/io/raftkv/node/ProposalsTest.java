package io.raftkv.node;

import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Proposal;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every write a node proposed is answered, and never with a false OK. */
class ProposalsTest {
    /** Simulated time: the grace runs out exactly when the test says, not when a timer thread gets to it. */
    private long nowNanos = 1_000;
    private final Proposals<WriteResult> proposals = new Proposals<>(() -> nowNanos, Duration.ofMillis(200), NodeMetrics.noop());

    private void register(Proposal p, CompletableFuture<WriteResult> f) {
        proposals.register(p, f, Backpressure.Ticket.NONE);
    }

    @Test
    void aWriteAppliedWithItsOwnTermGetsItsResult() throws Exception {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        register(new Proposal(7, 3), f);
        proposals.applied(7, 3, new WriteResult.Written(7, true));
        assertThat(f.get()).isEqualTo(new WriteResult.Written(7, true));
    }

    @Test
    void anotherEntryInItsSlotMeansItWasCertainlyNotApplied() {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        register(new Proposal(7, 3), f);
        proposals.applied(7, 4, new WriteResult.Written(7, true));
        assertThatThrownBy(f::get).hasCauseInstanceOf(WriteNotAppliedException.class);
    }

    @Test
    void afterLosingLeadershipAWriteStillCommittedByTheNewLeaderGetsItsResult() throws Exception {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        register(new Proposal(7, 3), f);
        proposals.leadershipLost();
        proposals.applied(7, 3, new WriteResult.Written(7, false));
        assertThat(f.get(1, TimeUnit.SECONDS)).isEqualTo(new WriteResult.Written(7, false));
    }

    @Test
    void afterLosingLeadershipAnUnresolvedWriteIsAnsweredOutcomeUnknownAfterTheGrace() {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        register(new Proposal(7, 3), f);
        proposals.leadershipLost();
        nowNanos += Duration.ofMillis(199).toNanos();
        proposals.expireGrace();
        assertThat(f).as("within the grace the new leader may still commit it").isNotDone();
        nowNanos += Duration.ofMillis(1).toNanos();
        proposals.expireGrace();
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        // A late apply after the answer changes nothing (and does not throw).
        proposals.applied(7, 3, new WriteResult.Written(7, true));
        assertThat(proposals.size()).isZero();
    }

    @Test
    void aWriteWhoseSlotANewerProposalOfThisNodeTakesIsAnsweredNotForgotten() {
        // Found by the simulator (seed 493): leader in term 5, deposed, its log cut back, leader again
        // in term 7, proposing at an index where a term-5 write still waited. That write could still
        // commit through a node that kept it, so it is "outcome unknown", and it is said at once.
        CompletableFuture<WriteResult> old = new CompletableFuture<>();
        CompletableFuture<WriteResult> now = new CompletableFuture<>();
        register(new Proposal(300, 5), old);
        proposals.leadershipLost();
        register(new Proposal(300, 7), now);
        assertThat(old).isCompletedExceptionally();
        assertThatThrownBy(old::get).hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        proposals.applied(300, 7, new WriteResult.Written(300, true));
        assertThat(now).isCompletedWithValue(new WriteResult.Written(300, true));
        assertThat(proposals.size()).isZero();
    }

    @Test
    void theGraceStartsWhenLeadershipIsLostNotWhenTheWriteWasProposed() {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        register(new Proposal(7, 3), f);
        nowNanos += Duration.ofSeconds(10).toNanos();
        proposals.expireGrace();
        assertThat(f).as("a leader's pending write has no deadline here").isNotDone();
        proposals.leadershipLost();
        nowNanos += Duration.ofMillis(150).toNanos();
        proposals.leadershipLost(); // losing it again (a later term) does not restart or shorten the grace
        nowNanos += Duration.ofMillis(50).toNanos();
        proposals.expireGrace();
        assertThat(f).isCompletedExceptionally();
    }

    @Test
    void aSnapshotCoveringAPendingWriteMakesItsOutcomeUnknown() {
        CompletableFuture<WriteResult> covered = new CompletableFuture<>();
        CompletableFuture<WriteResult> later = new CompletableFuture<>();
        register(new Proposal(7, 3), covered);
        register(new Proposal(20, 3), later);
        proposals.coveredBySnapshot(10);
        assertThatThrownBy(covered::get).hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        assertThat(later).isNotDone();
    }

    /** Tickets of writes held against the bounds; each resolution below must give its ticket back. */
    private final Backpressure bp = new Backpressure(new Backpressure.Limits(100, 1 << 20, 100, 10),
            new StoreQuota(1 << 20, new io.raftkv.kv.KvStateMachine()), () -> 0, NodeMetrics.noop());

    private CompletableFuture<WriteResult> registered(long index, long term) {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        proposals.register(new Proposal(index, term), f, bp.admitWrite(
                new io.raftkv.kv.KvCommand.Put("k" + index, new byte[10], null, null, null, 0), 50));
        return f;
    }

    @Test
    void everyWayAWriteEndsGivesBackWhatItHeldAgainstTheLimits() {
        registered(1, 3);
        registered(2, 3);
        proposals.applied(1, 3, new WriteResult.Written(1, true));
        proposals.applied(2, 4, new WriteResult.Written(2, true));
        assertThat(bp.pendingWrites()).as("applied, or its slot taken").isZero();

        registered(3, 3);
        registered(4, 3);
        proposals.coveredBySnapshot(3);
        assertThat(bp.pendingWrites()).as("covered by a snapshot").isEqualTo(1);
        proposals.failAll(new WriteOutcomeUnknownException("stopped"));
        assertThat(bp.pendingWrites()).as("node stopped").isZero();
        assertThat(bp.pendingWriteBytes()).isZero();
        assertThat(proposals.size()).isZero();
    }

    @Test
    void aWriteLeftUnresolvedAfterLosingLeadershipGivesItsTicketBackAfterTheGrace() throws Exception {
        CompletableFuture<WriteResult> f = registered(5, 3);
        proposals.leadershipLost();
        proposals.expireGrace();
        assertThat(bp.pendingWrites()).as("still may commit: still held").isEqualTo(1);
        nowNanos += Duration.ofMillis(200).toNanos();
        proposals.expireGrace();
        assertThatThrownBy(f::get).hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        assertThat(bp.pendingWrites()).isZero();
    }
}
