package io.raftkv.node;

import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Proposal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every write a node proposed is answered, and never with a false OK. */
class ProposalsTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Proposals proposals = new Proposals(timer, Duration.ofMillis(200), NodeMetrics.noop());

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void aWriteAppliedWithItsOwnTermGetsItsResult() throws Exception {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        proposals.register(new Proposal(7, 3), f);
        proposals.applied(7, 3, new WriteResult.Written(7, true));
        assertThat(f.get()).isEqualTo(new WriteResult.Written(7, true));
    }

    @Test
    void anotherEntryInItsSlotMeansItWasCertainlyNotApplied() {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        proposals.register(new Proposal(7, 3), f);
        proposals.applied(7, 4, new WriteResult.Written(7, true));
        assertThatThrownBy(f::get).hasCauseInstanceOf(WriteNotAppliedException.class);
    }

    @Test
    void afterLosingLeadershipAWriteStillCommittedByTheNewLeaderGetsItsResult() throws Exception {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        proposals.register(new Proposal(7, 3), f);
        proposals.leadershipLost();
        proposals.applied(7, 3, new WriteResult.Written(7, false));
        assertThat(f.get(1, TimeUnit.SECONDS)).isEqualTo(new WriteResult.Written(7, false));
    }

    @Test
    void afterLosingLeadershipAnUnresolvedWriteIsAnsweredOutcomeUnknownAfterTheGrace() {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        proposals.register(new Proposal(7, 3), f);
        long start = System.nanoTime();
        proposals.leadershipLost();
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(190);
        // A late apply after the answer changes nothing (and does not throw).
        proposals.applied(7, 3, new WriteResult.Written(7, true));
        assertThat(proposals.size()).isZero();
    }

    @Test
    void aSnapshotCoveringAPendingWriteMakesItsOutcomeUnknown() {
        CompletableFuture<WriteResult> covered = new CompletableFuture<>();
        CompletableFuture<WriteResult> later = new CompletableFuture<>();
        proposals.register(new Proposal(7, 3), covered);
        proposals.register(new Proposal(20, 3), later);
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
        assertThat(bp.pendingWrites()).as("still may commit: still held").isEqualTo(1);
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(WriteOutcomeUnknownException.class);
        assertThat(bp.pendingWrites()).isZero();
    }
}
