package io.raftkv.raft;

import io.raftkv.raft.sim.KvCommand;
import io.raftkv.raft.sim.TestNetwork;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Rules from Ongaro's dissertation (2014) that go beyond the paper: ReadIndex, PreVote, CheckQuorum,
 * leadership transfer, snapshots, and the replication pipeline's batching and flow control.
 */
class RaftDissertationTest {

    private static byte[] put(String key, String value) {
        return new KvCommand(KvCommand.Kind.PUT, key, value, null).encode();
    }

    private static <T extends Message> List<T> only(List<Message> msgs, Class<T> type) {
        return msgs.stream().filter(type::isInstance).map(type::cast).toList();
    }

    // ---------------------------------------------------------------- §6.4 ReadIndex

    @Test
    void s6_4_readIndexWaitsForOneHeartbeatRoundSharedByAllWaitingReads() {
        TestNetwork net = new TestNetwork(3, 11);
        net.elect("n1");
        Proposal p = net.raft("n1").propose(put("a", "1"));
        net.stabilize();
        net.takeSent();
        // Only n2 answers heartbeats; n3 is cut off. The leader and n2 are a majority.
        net.cut("n1", "n3");
        for (long id = 1; id <= 5; id++) {
            net.raft("n1").readIndex(id);
        }
        net.stabilize();
        List<Heartbeat> round = only(net.takeSent(), Heartbeat.class);
        assertThat(round).as("one heartbeat per follower for all five reads").hasSize(2);
        List<ReadState> confirmed = net.takeReadStates("n1");
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(confirmed).allSatisfy(rs -> assertThat(rs.index()).isGreaterThanOrEqualTo(p.index()));
    }

    @Test
    void s6_4_aReadIsNotConfirmedWithoutAMajorityAnsweringTheRound() {
        TestNetwork net = new TestNetwork(3, 15);
        net.elect("n1");
        net.isolate("n1");
        net.raft("n1").readIndex(1);
        net.stabilize();
        assertThat(net.takeReadStates("n1")).isEmpty();
        net.heal();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.takeReadStates("n1")).as("the next heartbeat round confirms it")
                .extracting(ReadState::requestId).containsExactly(1L);
    }

    @Test
    void s6_4_aDeposedLeaderCannotConfirmAReadEvenBeforeItNoticesItIsDeposed() {
        TestNetwork net = new TestNetwork(3, 12);
        net.elect("n1");
        net.raft("n1").propose(put("k", "old"));
        net.stabilize();
        net.isolate("n1");
        net.elect("n2");
        net.raft("n2").propose(put("k", "new"));
        net.stabilize();
        assertThat(net.raft("n1").role()).as("n1 has not noticed yet").isEqualTo(Role.LEADER);
        net.raft("n1").readIndex(99);
        net.stabilize();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks() * 2);
        assertThat(net.takeReadStates("n1")).as("without a majority's heartbeat answers no read is served").isEmpty();
        assertThat(net.node("n1").sm.get("k")).as("the stale value it would have served").isEqualTo("old");
    }

    @Test
    void s6_4_aNewLeaderDefersReadsUntilItHasCommittedAnEntryOfItsTerm() {
        TestNetwork net = new TestNetwork(3, 13);
        net.elect("n1");
        // Cut replication so the new leader's no-op cannot commit.
        net.setFilter(m -> !(m instanceof AppendEntries));
        net.elect("n2");
        net.raft("n2").readIndex(7);
        net.stabilize();
        net.tick("n2", RaftConfig.defaults("n1").heartbeatTicks() * 2);
        assertThat(net.takeReadStates("n2")).isEmpty();
        net.heal();
        net.tick("n2", RaftConfig.defaults("n1").heartbeatTicks() * 2);
        List<ReadState> later = net.takeReadStates("n2");
        assertThat(later).extracting(ReadState::requestId).containsExactly(7L);
        assertThat(net.raft("n2").termAt(later.get(0).index())).as("the read index is an entry of the new term")
                .isEqualTo(net.raft("n2").term());
    }

    @Test
    void s6_4_followersRefuseProposalsAndNameTheLeader_aNodeWithoutALeaderRefusesReads() {
        TestNetwork net = new TestNetwork(3, 14);
        net.elect("n1");
        assertThatThrownBy(() -> net.raft("n2").propose(put("a", "b")))
                .isInstanceOfSatisfying(NotLeaderException.class, e -> assertThat(e.leaderHint()).isEqualTo("n1"));
        net.isolate("n3");
        net.tick("n3", 2 * RaftConfig.defaults("n3").electionTicks());
        assertThat(net.raft("n3").leader()).as("n3 timed out and campaigns").isNull();
        assertThatThrownBy(() -> net.raft("n3").readIndex(1)).as("no leader to confirm the read")
                .isInstanceOf(NotLeaderException.class);
    }

    // §6.4: "followers could help offload the processing of read-only queries [...] the follower could
    // issue a request to the leader just to learn the current readIndex [...] the follower could then
    // proceed with steps 3 and 4", step 4 being "once the state machine has applied at least as far as
    // the readIndex, the read can be served".

    @Test
    void s6_4_aFollowersReadIsConfirmedByTheLeaderAndServedOnlyOnceTheFollowerHasAppliedItsReadIndex() {
        TestNetwork net = new TestNetwork(3, 16);
        net.elect("n1");
        net.raft("n1").propose(put("k", "old"));
        net.stabilize();
        // n3 stops receiving entries, so it cannot know the next write; heartbeats (and the read) still pass.
        net.setFilter(m -> !(m instanceof AppendEntries && m.to().equals("n3")));
        Proposal p = net.raft("n1").propose(put("k", "new"));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).as("committed by n1 and n2").isGreaterThanOrEqualTo(p.index());
        net.takeSent();
        java.util.concurrent.CompletableFuture<Void> read = new java.util.concurrent.CompletableFuture<>();
        net.node("n3").driver.read(read);
        net.stabilize();
        List<Message> sent = net.takeSent();
        assertThat(only(sent, ReadIndexRequest.class)).as("the follower asks its leader").singleElement()
                .satisfies(r -> assertThat(r.to()).isEqualTo("n1"));
        assertThat(only(sent, ReadIndexResponse.class)).as("confirmed by a heartbeat round, answered with the leader's commit index")
                .singleElement().satisfies(r -> assertThat(r.index()).isGreaterThanOrEqualTo(p.index()));
        assertThat(net.raft("n3").appliedIndex()).isLessThan(p.index());
        assertThat(read).as("n3 has not applied the read index yet: serving now would return 'old'").isNotDone();
        net.heal();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(read).isCompleted();
        assertThat(net.node("n3").sm.get("k")).isEqualTo("new");
    }

    @Test
    void s6_4_aDeposedLeaderNeverAnswersAForwardedRead() {
        TestNetwork net = new TestNetwork(5, 17);
        net.elect("n1");
        net.raft("n1").propose(put("k", "old"));
        net.stabilize();
        // n1 and n5 on one side, n2..n4 (a majority) on the other.
        for (String a : List.of("n1", "n5")) {
            for (String b : List.of("n2", "n3", "n4")) {
                net.cut(a, b);
            }
        }
        net.elect("n2");
        net.raft("n2").propose(put("k", "new"));
        net.stabilize();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.raft("n1").role()).as("n1 has not noticed yet").isEqualTo(Role.LEADER);
        assertThat(net.raft("n5").leader()).as("n5 still follows n1 in the old term").isEqualTo("n1");
        net.takeSent();
        net.raft("n5").readIndex(1);
        net.stabilize();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks() * 2);
        assertThat(only(net.takeSent(), ReadIndexResponse.class)).as("n1 and n5 are no majority of five").isEmpty();
        assertThat(net.takeReadStates("n5")).isEmpty();
        assertThat(net.node("n5").sm.get("k")).as("the stale value n5 would have served").isEqualTo("old");
        net.tick("n5", RaftConfig.defaults("n5").electionTicks());
        assertThat(net.takeFailedReads("n5")).as("unanswered within an election timeout: the caller is told").containsExactly(1L);
        assertThat(net.takeReadStates("n5")).isEmpty();
    }

    @Test
    void s6_4_aForwardedReadFailsOnATermChangeAndALateAnswerIsIgnored() {
        TestNetwork net = new TestNetwork(3, 18);
        net.elect("n1");
        long oldTerm = net.raft("n1").term();
        // n3's question reaches n1, but the answer is lost; then n2 takes over.
        net.setFilter(m -> !(m instanceof ReadIndexResponse));
        net.raft("n3").readIndex(4);
        java.util.concurrent.CompletableFuture<Void> client = new java.util.concurrent.CompletableFuture<>();
        net.node("n3").driver.read(client);
        net.stabilize();
        assertThat(net.takeReadStates("n3")).isEmpty();
        net.heal();
        net.elect("n2");
        assertThat(net.raft("n3").term()).isGreaterThan(oldTerm);
        assertThat(net.takeFailedReads("n3")).as("the leader it asked is gone: the read fails, never waits").contains(4L).hasSize(2);
        assertThat(client).as("the driver answers its caller so the web layer can route again or answer 503")
                .isCompletedExceptionally();
        assertThatThrownBy(client::join).hasCauseInstanceOf(NotLeaderException.class);
        net.deliver(new ReadIndexResponse("n1", "n3", oldTerm, 4, net.raft("n1").commitIndex()));
        net.deliver(new ReadIndexResponse("n2", "n3", net.raft("n2").term(), 4, net.raft("n2").commitIndex()));
        net.stabilize();
        assertThat(net.takeReadStates("n3")).as("answers to a read it no longer waits for, from the old or the new leader").isEmpty();
    }

    @Test
    void s6_4_aNewLeaderAnswersAForwardedReadOnlyAfterCommittingAnEntryOfItsTerm() {
        TestNetwork net = new TestNetwork(3, 19);
        net.elect("n1");
        net.setFilter(m -> !(m instanceof AppendEntries));
        net.elect("n2");
        net.tick("n2", RaftConfig.defaults("n2").heartbeatTicks());
        assertThat(net.raft("n3").leader()).as("n3 heard n2's heartbeat").isEqualTo("n2");
        net.raft("n3").readIndex(2);
        net.stabilize();
        net.tick("n2", RaftConfig.defaults("n2").heartbeatTicks() * 2);
        assertThat(only(net.takeSent(), ReadIndexResponse.class)).as("its commit index may still lag (§6.4 step 1)").isEmpty();
        net.heal();
        net.tick("n2", RaftConfig.defaults("n2").heartbeatTicks());
        List<ReadState> answered = net.takeReadStates("n3");
        assertThat(answered).extracting(ReadState::requestId).containsExactly(2L);
        assertThat(net.raft("n2").termAt(answered.get(0).index())).isEqualTo(net.raft("n2").term());
    }

    // ---------------------------------------------------------------- §9.6 PreVote, §6.2 CheckQuorum

    @Test
    void s9_6_aRejoiningPartitionedNodeDoesNotDisruptAHealthyLeader() {
        TestNetwork net = new TestNetwork(3, 21);
        net.elect("n1");
        long term = net.raft("n1").term();
        net.isolate("n3");
        // Long enough for n3 to time out many times over.
        net.tickAll(20 * RaftConfig.defaults("n1").electionTicks());
        assertThat(net.raft("n3").term()).as("pre-votes never win, so n3 never raises its term").isEqualTo(term);
        net.heal();
        net.tickAll(3 * RaftConfig.defaults("n1").electionTicks());
        assertThat(net.leader()).isEqualTo("n1");
        assertThat(net.raft("n1").term()).isEqualTo(term);
    }

    @Test
    void s9_6_votersThatHeardFromALeaderRecentlyIgnoreVoteRequests() {
        TestNetwork net = new TestNetwork(3, 22);
        net.elect("n1");
        long term = net.raft("n1").term();
        // n3 campaigns without pre-vote, as a node with a stale configuration might.
        net.raft("n2").step(new RequestVote("n3", "n2", term + 1, 100, term, false, false));
        assertThat(net.raft("n2").term()).isEqualTo(term);
        assertThat(net.raft("n2").leader()).isEqualTo("n1");
    }

    @Test
    void s6_2_checkQuorumMakesALeaderCutOffFromAMajorityStepDown() {
        TestNetwork net = new TestNetwork(5, 23);
        net.elect("n1");
        net.isolate("n1");
        int et = RaftConfig.defaults("n1").electionTicks();
        net.tick("n1", 2 * et);
        assertThat(net.raft("n1").role()).isEqualTo(Role.FOLLOWER);
        assertThatThrownBy(() -> net.raft("n1").propose(put("a", "b"))).isInstanceOf(NotLeaderException.class);
    }

    @Test
    void s6_2_aPeerHeardInThePreviousCheckQuorumRoundStillCountsAsRecentlyActive() {
        // Found by MembershipIT: each CheckQuorum round clears the leader's "heard from" marks, so asked
        // between a round's start and the next heartbeat's answers, /cluster/members showed every peer
        // unhealthy and a failure tolerance of 0.
        int et = RaftConfig.defaults("n1").electionTicks();
        TestNetwork net = new TestNetwork(3, 26);
        net.elect("n1");
        net.cut("n1", "n2");
        net.cut("n1", "n3");
        for (int t = 1; t <= et; t++) { // one round starts within these ticks, with neither peer heard since
            net.tick("n1", 1);
            assertThat(net.raft("n1").recentlyActive()).as("after tick %d", t).contains("n2", "n3");
        }

        TestNetwork quiet = new TestNetwork(3, 27);
        quiet.elect("n1");
        quiet.cut("n1", "n3");
        quiet.tick("n1", 2 * et);
        assertThat(quiet.raft("n1").role()).isEqualTo(Role.LEADER);
        assertThat(quiet.raft("n1").recentlyActive()).as("silent for two rounds").contains("n2").doesNotContain("n3");
    }

    @Test
    void s5_1_aStaleLeaderRejoiningStepsDownAndLosesItsUncommittedEntries() {
        TestNetwork net = new TestNetwork(3, 24);
        net.elect("n1");
        net.isolate("n1");
        Proposal lost = net.raft("n1").propose(put("k", "lost"));
        net.stabilize();
        net.elect("n2");
        Proposal kept = net.raft("n2").propose(put("k", "kept"));
        net.stabilize();
        net.heal();
        net.tickAll(3 * RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.raft("n1").role()).isEqualTo(Role.FOLLOWER);
        assertThat(net.raft("n1").leader()).isEqualTo("n2");
        assertThat(net.raft("n1").termAt(lost.index())).as("overwritten by the new leader's log")
                .isEqualTo(net.raft("n2").termAt(lost.index()));
        assertThat(net.node("n1").sm.get("k")).isEqualTo("kept");
        assertThat(net.raft("n1").commitIndex()).isGreaterThanOrEqualTo(kept.index());
    }

    @Test
    void s5_3_backingUpFiftyUncommittedEntriesOfAStaleLeader() {
        // The MIT 6.824 "TestBackup2B" schedule: a leader in the minority piles up 50 entries that never
        // commit, the majority commits 50 others, then the old leader's side must be brought back in line.
        TestNetwork net = new TestNetwork(5, 25);
        net.elect("n1");
        net.raft("n1").propose(put("k", "base"));
        net.stabilize();
        net.cut("n1", "n3");
        net.cut("n1", "n4");
        net.cut("n1", "n5");
        net.cut("n2", "n3");
        net.cut("n2", "n4");
        net.cut("n2", "n5");
        for (int i = 0; i < 50; i++) {
            net.raft("n1").propose(put("k", "stale" + i));
        }
        net.stabilize();
        net.elect("n3");
        for (int i = 0; i < 50; i++) {
            net.raft("n3").propose(put("k", "fresh" + i));
        }
        net.stabilize();
        net.heal();
        net.tickAll(5 * RaftConfig.defaults("n1").heartbeatTicks());
        long commit = net.raft("n3").commitIndex();
        for (String id : net.ids()) {
            assertThat(net.raft(id).commitIndex()).as(id).isEqualTo(commit);
            assertThat(net.node(id).sm.get("k")).as(id).isEqualTo("fresh49");
            for (long i = 1; i <= commit; i++) {
                assertThat(net.raft(id).termAt(i)).isEqualTo(net.raft("n3").termAt(i));
            }
        }
    }

    @Test
    void s5_3_fastBacktrackingSkipsAConflictingTermInOneRoundTrip() {
        TestNetwork net = new TestNetwork(3, 26);
        net.elect("n1");
        net.isolate("n1");
        for (int i = 0; i < 100; i++) {
            net.raft("n1").propose(put("k", "x" + i));
        }
        net.stabilize();
        net.elect("n2");
        net.raft("n2").propose(put("k", "y"));
        net.stabilize();
        net.heal();
        net.takeSent();
        net.tickAll(RaftConfig.defaults("n1").heartbeatTicks());
        List<AppendEntriesResponse> rejections = only(net.takeSent(), AppendEntriesResponse.class).stream()
                .filter(r -> r.from().equals("n1") && !r.success()).toList();
        assertThat(rejections).as("one rejection jumps over all 100 entries of n1's term").hasSizeLessThanOrEqualTo(2);
        assertThat(net.raft("n1").lastIndex()).isEqualTo(net.raft("n2").lastIndex());
    }

    // ---------------------------------------------------------------- §3.10 leadership transfer

    @Test
    void s3_10_leadershipTransferHandsOverWithoutWaitingForATimeout() {
        TestNetwork net = new TestNetwork(3, 31);
        net.elect("n1");
        net.raft("n1").propose(put("a", "1"));
        net.stabilize();
        long term = net.raft("n1").term();
        net.raft("n1").transferLeadership("n3");
        net.stabilize();
        assertThat(net.leader()).isEqualTo("n3");
        assertThat(net.raft("n3").term()).isEqualTo(term + 1);
        assertThat(net.raft("n1").role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void s3_10_transferToALaggingFollowerCatchesItUpFirstAndRefusesProposalsMeanwhile() {
        TestNetwork net = new TestNetwork(3, 32);
        net.elect("n1");
        net.cut("n1", "n3");
        for (int i = 0; i < 10; i++) {
            net.raft("n1").propose(put("a", "v" + i));
        }
        net.stabilize();
        net.raft("n1").transferLeadership("n3");
        assertThatThrownBy(() -> net.raft("n1").propose(put("a", "late")))
                .isInstanceOf(NotLeaderException.class).hasMessageContaining("transferred");
        net.heal();
        net.tickAll(RaftConfig.defaults("n1").heartbeatTicks() + 1);
        assertThat(net.leader()).isEqualTo("n3");
        assertThat(net.node("n3").sm.get("a")).isEqualTo("v9");
    }

    @Test
    void s3_10_aTransferThatCannotFinishIsAbandonedAfterAnElectionTimeout() {
        TestNetwork net = new TestNetwork(3, 33);
        net.elect("n1");
        net.crash("n3");
        net.raft("n1").transferLeadership("n3");
        net.tick("n1", RaftConfig.defaults("n1").electionTicks() + 1);
        assertThat(net.raft("n1").role()).isEqualTo(Role.LEADER);
        assertThat(net.raft("n1").transferee()).isNull();
        net.raft("n1").propose(put("a", "accepted again"));
    }

    // ---------------------------------------------------------------- §7 snapshots

    @Test
    void s7_aFollowerBehindTheLogStartIsSentTheSnapshotAndCatchesUp() {
        TestNetwork net = new TestNetwork(3, 41, RaftConfig.defaults("n1"), 20, 5);
        net.elect("n1");
        net.crash("n3");
        for (int i = 0; i < 100; i++) {
            net.raft("n1").propose(put("k" + (i % 7), "v" + i));
            net.stabilize();
        }
        assertThat(net.raft("n1").firstIndex()).as("the leader compacted its log").isGreaterThan(50);
        net.takeSent();
        net.restart("n3");
        net.tickAll(2 * RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(only(net.takeSent(), InstallSnapshot.class)).hasSize(1);
        assertThat(net.raft("n3").commitIndex()).isEqualTo(net.raft("n1").commitIndex());
        assertThat(net.node("n3").sm.contents()).isEqualTo(net.node("n1").sm.contents());
    }

    // ---------------------------------------------------------------- replication pipeline

    @Test
    void aBurstOfProposalsTravelsInOneAppendEntriesPerFollower() {
        TestNetwork net = new TestNetwork(3, 51);
        net.elect("n1");
        net.takeSent();
        List<byte[]> burst = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            burst.add(put("k" + i, "value-" + i));
        }
        for (byte[] c : burst) {
            net.raft("n1").propose(c);
        }
        net.stabilize();
        List<AppendEntries> appends = only(net.takeSent(), AppendEntries.class);
        assertThat(appends.stream().filter(a -> !a.entries().isEmpty())).hasSize(2);
        assertThat(appends.stream().mapToInt(a -> a.entries().size()).sum()).isEqualTo(2000);
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks()); // the commit index rides the next heartbeat
        assertThat(net.node("n2").sm.contents()).hasSize(1000);
    }

    @Test
    void messagesRespectTheByteCapAndTheInFlightWindow() {
        RaftConfig small = new RaftConfig("n1", 15, 5, 1000, 3, 150, true, true, RaftConfig.DEFAULT_PROMOTION_MAX_LAG);
        TestNetwork net = new TestNetwork(3, 52, small);
        net.elect("n1");
        net.takeSent();
        // Hold back every answer, so the leader must stop at its window.
        net.setFilter(m -> !(m instanceof AppendEntriesResponse));
        for (int i = 0; i < 100; i++) {
            net.raft("n1").propose(put("k" + i, "x".repeat(200)));
        }
        net.stabilize();
        List<AppendEntries> toN2 = only(net.takeSent(), AppendEntries.class).stream()
                .filter(a -> a.to().equals("n2")).toList();
        assertThat(toN2).as("three unanswered messages at most").hasSize(3);
        assertThat(toN2).allSatisfy(a -> assertThat(a.entries().stream().mapToLong(Entry::sizeBytes).sum())
                .isLessThanOrEqualTo(1000));
        net.heal();
        net.tickAll(30);
        assertThat(net.node("n2").sm.contents()).hasSize(100);
    }

    @Test
    void anIdleClusterSendsOnlyHeartbeats() {
        TestNetwork net = new TestNetwork(3, 53);
        net.elect("n1");
        net.raft("n1").propose(put("a", "1"));
        net.stabilize();
        net.takeSent();
        int heartbeat = RaftConfig.defaults("n1").heartbeatTicks();
        net.tickAll(heartbeat * 10);
        List<Message> sent = net.takeSent();
        assertThat(sent).allSatisfy(m -> assertThat(m).isInstanceOfAny(Heartbeat.class, HeartbeatResponse.class));
        assertThat(only(sent, Heartbeat.class)).hasSize(2 * 10);
    }

    // ---------------------------------------------------------------- membership in the log

    @Test
    void aMembershipEntryTakesEffectWhenAppendedAndChangesTheQuorum() {
        TestNetwork net = new TestNetwork(3, 61);
        net.elect("n1");
        Membership two = new Membership(List.of(new Peer("n1", "sim://n1"), new Peer("n2", "sim://n2")));
        Proposal p = net.raft("n1").proposeMembership(two);
        net.stabilize();
        assertThat(net.raft("n2").membership()).isEqualTo(two);
        assertThat(net.raft("n1").commitIndex()).isGreaterThanOrEqualTo(p.index());
        // With voters {n1, n2} the quorum is both: n1 alone can no longer commit.
        net.crash("n2");
        long before = net.raft("n1").commitIndex();
        net.raft("n1").propose(put("a", "1"));
        net.tickAll(5);
        assertThat(net.raft("n1").commitIndex()).isEqualTo(before);
        // Removing the dead voter makes n1 a quorum of one again, and everything pending commits.
        Proposal shrink = net.raft("n1").proposeMembership(new Membership(List.of(new Peer("n1", "sim://n1"))));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).isEqualTo(shrink.index());
        assertThat(net.node("n1").sm.get("a")).isEqualTo("1");
    }

    @Test
    void aNewVoterIsReplicatedToAndCountsTowardTheQuorum() {
        TestNetwork net = new TestNetwork(3, 63);
        net.elect("n1");
        Membership two = new Membership(List.of(new Peer("n1", "sim://n1"), new Peer("n2", "sim://n2")));
        net.raft("n1").proposeMembership(two);
        net.stabilize();
        net.raft("n1").propose(put("a", "1"));
        net.stabilize();
        assertThat(net.node("n3").sm.get("a")).as("n3 is no longer replicated to").isNull();
        Proposal grow = net.raft("n1").proposeMembership(
                new Membership(List.of(new Peer("n1", "sim://n1"), new Peer("n2", "sim://n2"), new Peer("n3", "sim://n3"))));
        net.stabilize();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks()); // the commit index rides the next heartbeat
        assertThat(net.raft("n3").commitIndex()).isGreaterThanOrEqualTo(grow.index());
        assertThat(net.node("n3").sm.get("a")).isEqualTo("1");
        net.crash("n2");
        Proposal p = net.raft("n1").propose(put("b", "2"));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).as("n1 and n3 are a majority of three").isEqualTo(p.index());
    }

    @Test
    void aLeaderRemovedFromTheClusterStepsDownOnceItsRemovalCommits() {
        TestNetwork net = new TestNetwork(3, 64);
        net.elect("n1");
        net.raft("n1").proposeMembership(new Membership(List.of(new Peer("n2", "sim://n2"), new Peer("n3", "sim://n3"))));
        net.stabilize();
        assertThat(net.raft("n1").role()).isEqualTo(Role.FOLLOWER);
        net.tickAll(3 * RaftConfig.defaults("n1").electionTicks());
        assertThat(net.leader()).isIn("n2", "n3");
        assertThat(net.raft("n1").role()).as("a non-voter never campaigns").isEqualTo(Role.FOLLOWER);
    }

    @Test
    void membershipChangesAddOrRemoveExactlyOneVoter() {
        TestNetwork net = new TestNetwork(3, 62);
        net.elect("n1");
        Membership one = new Membership(List.of(new Peer("n1", "")));
        assertThatThrownBy(() -> net.raft("n1").proposeMembership(one)).isInstanceOf(MembershipChangeException.class)
                .hasMessageContaining("at most one voter");
    }
}
