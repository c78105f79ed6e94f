package io.raftkv.raft;

import io.raftkv.node.NodeDriver;
import io.raftkv.node.StateMachine;
import io.raftkv.raft.sim.KvCommand;
import io.raftkv.raft.sim.LocalNode;
import io.raftkv.raft.sim.TestNetwork;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each test checks one rule of the Raft paper (Ongaro and Ousterhout, 2014; section numbers in the
 * names) or of the dissertation (Ongaro 2014), in the spirit of etcd's raft_paper_test.go.
 */
class RaftPaperTest {
    private static final RaftConfig NO_PREVOTE = new RaftConfig("n1", 15, 5, 1 << 20, 64, 150, true, false, RaftConfig.DEFAULT_PROMOTION_MAX_LAG);

    private static byte[] put(String key, String value) {
        return new KvCommand(KvCommand.Kind.PUT, key, value, null).encode();
    }

    /** The production driver of each node made here, and what it sent since the last {@link #drain}. */
    private final Map<RaftNode, NodeDriver<Boolean>> drivers = new IdentityHashMap<>();
    private final List<Message> sent = new ArrayList<>();

    private RaftNode lone(String id, Membership membership, HardState hs, List<Entry> log) {
        return lone(RaftConfig.defaults(id), membership, hs, log);
    }

    private RaftNode lone(RaftConfig cfg, Membership membership, HardState hs, List<Entry> log) {
        return lone(cfg, membership, hs, log, new Random(1));
    }

    private RaftNode lone(RaftConfig cfg, Membership membership, HardState hs, List<Entry> log, Random random) {
        RaftStorage storage = new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore());
        storage.bootstrap(membership);
        storage.log().append(log);
        storage.stable().save(hs);
        RaftNode node = new RaftNode(cfg, storage, random);
        drivers.put(node, LocalNode.driverFor(node, storage, sent::add, new EntryCounter(), 0, 0));
        return node;
    }

    private static Membership members(String... ids) {
        List<Peer> peers = new ArrayList<>();
        for (String id : ids) {
            peers.add(new Peer(id, ""));
        }
        return new Membership(peers);
    }

    private static List<Entry> entriesWithTerms(long... terms) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            out.add(Entry.command(i + 1, terms[i], new byte[] {(byte) i}));
        }
        return out;
    }

    private static <T extends Message> List<T> only(List<Message> msgs, Class<T> type) {
        return msgs.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static int ticksUntilItCampaigns(RaftNode n) {
        int ticks = 0;
        while (n.role() == Role.FOLLOWER) {
            n.tick();
            ticks++;
        }
        return ticks;
    }

    /** Carries out every Ready of a node made by {@link #lone} through its driver; returns what it sent. */
    private List<Message> drain(RaftNode node) {
        drivers.get(node).process();
        assertThat(drivers.get(node).failure()).isNull();
        List<Message> out = new ArrayList<>(sent);
        sent.clear();
        return out;
    }

    /** These tests check messages, not data: their entries hold arbitrary bytes, applied by counting them. */
    private static final class EntryCounter implements StateMachine<Boolean> {
        private long applied;

        @Override
        public Boolean apply(long index, byte[] command) {
            applied = index;
            return true;
        }

        @Override
        public void skip(long index) {
            applied = index;
        }

        @Override
        public long appliedIndex() {
            return applied;
        }

        @Override
        public void restore(java.io.InputStream in) {
            throw new UnsupportedOperationException("no snapshots here");
        }

        @Override
        public void writeSnapshot(java.io.OutputStream out) {
            throw new UnsupportedOperationException("no snapshots here");
        }
    }

    // ---------------------------------------------------------------- §5.1 terms

    @Test
    void s5_1_followerAdoptsAHigherTermFromAnyMessage() {
        RaftNode n = lone("n1", members("n1", "n2", "n3"), new HardState(2, "n1"), List.of());
        n.step(new Heartbeat("n2", "n1", 5, 0, 0));
        assertThat(n.term()).isEqualTo(5);
        assertThat(n.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n.leader()).isEqualTo("n2");
        assertThat(n.hardState().votedFor()).as("the vote belonged to the old term").isNull();
    }

    @Test
    void s5_1_leaderAndCandidateStepDownWhenTheySeeAHigherTerm() {
        TestNetwork net = new TestNetwork(3, 1);
        net.elect("n1");
        long term = net.raft("n1").term();
        net.raft("n1").step(new AppendEntriesResponse("n2", "n1", term + 3, false, 0, 0, 0));
        assertThat(net.raft("n1").role()).isEqualTo(Role.FOLLOWER);
        assertThat(net.raft("n1").term()).isEqualTo(term + 3);
    }

    @Test
    void s5_1_aRequestFromAStaleTermIsRejectedWithTheCurrentTerm() {
        RaftNode n = lone("n1", members("n1", "n2", "n3"), new HardState(5, null), List.of());
        n.step(new AppendEntries("n2", "n1", 3, 0, 0, List.of(Entry.noop(1, 3)), 0));
        List<Message> out = drain(n);
        assertThat(n.lastIndex()).as("nothing from a stale leader is appended").isZero();
        assertThat(only(out, AppendEntriesResponse.class)).singleElement()
                .satisfies(r -> {
                    assertThat(r.term()).isEqualTo(5);
                    assertThat(r.success()).isFalse();
                });
    }

    // ---------------------------------------------------------------- §5.2 leader election

    @Test
    void s5_2_followerThatHearsNothingStartsAnElectionWithinTwoTimeouts() {
        RaftNode n = lone("n1", members("n1", "n2", "n3"), HardState.EMPTY, List.of());
        RaftConfig cfg = RaftConfig.defaults("n1");
        n.step(new Heartbeat("n2", "n1", 0, 0, 0)); // a leader was heard: its timer starts over
        drain(n);
        int ticks = 0;
        while (n.role() == Role.FOLLOWER) {
            n.tick();
            ticks++;
            assertThat(ticks).isLessThan(2 * cfg.electionTicks());
        }
        assertThat(ticks).isGreaterThanOrEqualTo(cfg.electionTicks());
        assertThat(n.role()).as("PreVote first").isEqualTo(Role.PRE_CANDIDATE);
        List<RequestVote> asks = only(drain(n), RequestVote.class);
        assertThat(asks).extracting(RequestVote::to).containsExactlyInAnyOrder("n2", "n3");
        assertThat(asks).allSatisfy(rv -> {
            assertThat(rv.preVote()).isTrue();
            assertThat(rv.term()).isEqualTo(1);
        });
        assertThat(n.term()).as("a pre-candidate does not raise its own term").isZero();
    }

    @Test
    void s5_2_electionTimeoutsAreRandomizedBetweenOneAndTwoTimeouts() {
        Set<Integer> seen = new HashSet<>();
        RaftConfig cfg = RaftConfig.defaults("n1");
        for (int seed = 0; seed < 200; seed++) {
            RaftNode n = lone(cfg, members("n1", "n2", "n3"), HardState.EMPTY, List.of(), new Random(seed));
            n.step(new Heartbeat("n2", "n1", 0, 0, 0));
            drain(n);
            int ticks = ticksUntilItCampaigns(n);
            assertThat(ticks).isBetween(cfg.electionTicks(), 2 * cfg.electionTicks() - 1);
            seen.add(ticks);
        }
        assertThat(seen).as("timeouts spread over the range, so split votes resolve").hasSizeGreaterThan(cfg.electionTicks() / 2);
    }

    /**
     * Not in the paper: etcd's initial election tick advance. A node that has just started knows no
     * leader; its first timeout is a heartbeat interval plus up to half an election timeout, still
     * randomized, so a new cluster (or one restarted whole) elects as soon as a quorum is up.
     */
    @Test
    void aNodeThatHasJustStartedCampaignsWithinAHeartbeatAndHalfATimeout() {
        Set<Integer> seen = new HashSet<>();
        RaftConfig cfg = RaftConfig.defaults("n1");
        for (int seed = 0; seed < 200; seed++) {
            RaftNode n = lone(cfg, members("n1", "n2", "n3"), HardState.EMPTY, List.of(), new Random(seed));
            int ticks = ticksUntilItCampaigns(n);
            assertThat(n.role()).as("PreVote first").isEqualTo(Role.PRE_CANDIDATE);
            assertThat(ticks).isBetween(cfg.heartbeatTicks(), cfg.heartbeatTicks() + cfg.electionTicks() / 2 - 1);
            seen.add(ticks);
        }
        assertThat(seen).as("still randomized").hasSizeGreaterThan(1);
    }

    /** The early pre-vote of a node restarted into a running cluster is ignored: voters still hear their leader (§9.6). */
    @Test
    void theEarlyPreVoteOfARestartedNodeIsRefusedByVotersInTheirLeadersLease() {
        RaftNode voter = lone("n2", members("n1", "n2", "n3"), HardState.EMPTY, List.of());
        voter.step(new Heartbeat("n3", "n2", 1, 0, 0));
        drain(voter);
        voter.step(new RequestVote("n1", "n2", 2, 0, 0, true, false));
        assertThat(only(drain(voter), RequestVoteResponse.class)).as("ignored, as a vote within the lease is").isEmpty();
        assertThat(voter.term()).isEqualTo(1);
        assertThat(voter.leader()).isEqualTo("n3");
    }

    @Test
    void s5_2_candidateWinsWithVotesFromAMajority() {
        // 5 voters: self + 2 granted is a majority even if the other 2 refuse.
        RaftNode n = lone(NO_PREVOTE, members("n1", "n2", "n3", "n4", "n5"), HardState.EMPTY, List.of());
        n.campaign();
        assertThat(n.role()).isEqualTo(Role.CANDIDATE);
        drain(n);
        n.step(new RequestVoteResponse("n2", "n1", 1, false, false));
        n.step(new RequestVoteResponse("n3", "n1", 1, true, false));
        assertThat(n.role()).isEqualTo(Role.CANDIDATE);
        n.step(new RequestVoteResponse("n4", "n1", 1, true, false));
        assertThat(n.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void s5_2_candidateGivesUpWhenAMajorityRefuses() {
        RaftNode n = lone(NO_PREVOTE, members("n1", "n2", "n3"), HardState.EMPTY, List.of());
        n.campaign();
        drain(n);
        n.step(new RequestVoteResponse("n2", "n1", 1, false, false));
        n.step(new RequestVoteResponse("n3", "n1", 1, false, false));
        assertThat(n.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void s5_2_eachServerVotesForAtMostOneCandidatePerTerm() {
        RaftNode n = lone("n1", members("n1", "n2", "n3"), HardState.EMPTY, List.of());
        n.step(new RequestVote("n2", "n1", 1, 0, 0, false, false));
        n.step(new RequestVote("n3", "n1", 1, 0, 0, false, false));
        n.step(new RequestVote("n2", "n1", 1, 0, 0, false, false)); // a retried request from the same candidate
        List<RequestVoteResponse> answers = only(drain(n), RequestVoteResponse.class);
        assertThat(answers).extracting(RequestVoteResponse::from, RequestVoteResponse::to, RequestVoteResponse::granted)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("n1", "n2", true),
                        org.assertj.core.groups.Tuple.tuple("n1", "n3", false),
                        org.assertj.core.groups.Tuple.tuple("n1", "n2", true));
        assertThat(n.hardState()).isEqualTo(new HardState(1, "n2"));
    }

    @Test
    void s5_2_candidateBecomesFollowerWhenALeaderOfItsTermAppears() {
        RaftNode n = lone(NO_PREVOTE, members("n1", "n2", "n3"), HardState.EMPTY, List.of());
        n.campaign();
        drain(n);
        n.step(new Heartbeat("n2", "n1", n.term(), 0, 0));
        assertThat(n.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n.leader()).isEqualTo("n2");
    }

    @Test
    void s5_2_singleNodeClusterElectsItselfAtOnce() {
        TestNetwork net = new TestNetwork(1, 3);
        net.tickAll(2 * RaftConfig.defaults("n1").electionTicks());
        assertThat(net.raft("n1").role()).isEqualTo(Role.LEADER);
        Proposal p = net.raft("n1").propose(put("k", "v"));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).isEqualTo(p.index());
        assertThat(net.node("n1").sm.get("k")).isEqualTo("v");
    }

    // ---------------------------------------------------------------- §5.3 log replication

    @Test
    void s5_3_leaderReplicatesAndCommitsOnceAMajorityHasTheEntry() {
        TestNetwork net = new TestNetwork(3, 1);
        net.elect("n1");
        net.crash("n3");
        Proposal p = net.raft("n1").propose(put("a", "1"));
        net.takeSent();
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).isEqualTo(p.index());
        assertThat(only(net.takeSent(), AppendEntries.class)).as("no AppendEntries of its own for the new commit index")
                .allMatch(ae -> !ae.entries().isEmpty());
        // "it includes that index in future AppendEntries RPCs (including heartbeats) so that the other
        // servers eventually find out": the next heartbeat is the next message.
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.raft("n2").commitIndex()).as("the commit index reaches followers").isEqualTo(p.index());
        assertThat(net.node("n2").sm.get("a")).isEqualTo("1");
    }

    @Test
    void s5_3_followerRejectsEntriesWhosePredecessorItDoesNotHave() {
        RaftNode n = lone("n1", members("n1", "n2", "n3"), new HardState(2, null), entriesWithTerms(1, 1, 2));
        n.step(new AppendEntries("n2", "n1", 3, 3, 3, List.of(Entry.noop(4, 3)), 0));
        AppendEntriesResponse r = only(drain(n), AppendEntriesResponse.class).get(0);
        assertThat(r.success()).isFalse();
        assertThat(r.index()).isEqualTo(3);
        assertThat(r.hintIndex()).as("our last entry with a term not above the leader's there").isEqualTo(3);
        assertThat(r.hintTerm()).isEqualTo(2);
        assertThat(n.lastIndex()).isEqualTo(3);
    }

    @Test
    void s5_3_followerDeletesConflictingEntriesAndAppendsTheLeaders() {
        RaftNode n = lone("n1", members("n1", "n2", "n3"), new HardState(2, null), entriesWithTerms(1, 1, 2, 2));
        n.step(new AppendEntries("n2", "n1", 3, 2, 1, List.of(Entry.noop(3, 3)), 0));
        assertThat(n.lastIndex()).isEqualTo(3);
        assertThat(n.termAt(3)).isEqualTo(3);
    }

    @Test
    void s5_3_leaderBringsEveryFigure7LogInLineWithItsOwn() {
        // Figure 7: the leader's log for term 8 and followers (a)-(f) with missing and extra entries.
        long[] leaderLog = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
        long[][] followers = {
                {1, 1, 1, 4, 4, 5, 5, 6, 6},                // (a)
                {1, 1, 1, 4},                               // (b)
                {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},          // (c)
                {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},       // (d)
                {1, 1, 1, 4, 4, 4, 4},                      // (e)
                {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},          // (f)
        };
        for (long[] follower : followers) {
            RaftNode leader = lone("L", members("L", "F"), new HardState(7, null), entriesWithTerms(leaderLog));
            RaftNode f = lone("F", members("L", "F"), new HardState(7, null), entriesWithTerms(follower));
            // Let L win term 8 (F votes for it: L's log is at least as up to date in each case but (d)... so force it).
            leader.campaign();
            for (int round = 0; round < 200 && !(leader.role() == Role.LEADER && leader.lastIndex() == f.lastIndex()
                    && leader.termAt(leader.lastIndex()) == f.termAt(f.lastIndex())); round++) {
                for (Message m : drain(leader)) {
                    if (m instanceof RequestVoteResponse) {
                        continue;
                    }
                    if (m instanceof RequestVote rv) {
                        // Figure 7's leader was elected by others; grant the vote by hand.
                        leader.step(new RequestVoteResponse("F", "L", rv.term(), true, rv.preVote()));
                        continue;
                    }
                    f.step(m);
                }
                for (Message m : drain(f)) {
                    leader.step(m);
                }
            }
            assertThat(leader.role()).isEqualTo(Role.LEADER);
            for (long i = 1; i <= leader.lastIndex(); i++) {
                assertThat(f.termAt(i)).as("index %d of follower %s", i, java.util.Arrays.toString(follower))
                        .isEqualTo(leader.termAt(i));
            }
            assertThat(f.lastIndex()).isEqualTo(leader.lastIndex());
        }
    }

    // ---------------------------------------------------------------- §5.4 safety

    @Test
    void s5_4_1_voterRefusesACandidateWhoseLogIsLessUpToDate() {
        // voter's log: terms 1,1,2
        record Case(long lastIndex, long lastTerm, boolean granted) {
        }
        List<Case> cases = List.of(
                new Case(3, 2, true),   // same
                new Case(4, 2, true),   // longer, same last term
                new Case(2, 2, false),  // shorter, same last term
                new Case(1, 3, true),   // higher last term wins even if shorter
                new Case(5, 1, false)); // lower last term loses even if longer
        for (Case c : cases) {
            RaftNode voter = lone("n1", members("n1", "n2", "n3"), new HardState(2, null), entriesWithTerms(1, 1, 2));
            voter.step(new RequestVote("n2", "n1", 3, c.lastIndex(), c.lastTerm(), false, false));
            RequestVoteResponse r = only(drain(voter), RequestVoteResponse.class).get(0);
            assertThat(r.granted()).as("%s", c).isEqualTo(c.granted());
        }
    }

    @Test
    void s5_4_2_leaderNeverCommitsAnEntryOfAnEarlierTermByCountingReplicas() {
        // Figure 8 (c): S1 leads term 4 with the term-2 entry at index 2 on a majority (S1, S2, S3),
        // but must not commit it until an entry of term 4 is on a majority too.
        Membership five = members("s1", "s2", "s3", "s4", "s5");
        RaftNode s1 = lone("s1", five, new HardState(3, null), entriesWithTerms(1, 2));
        s1.campaign(); // pre-vote round
        drain(s1);
        for (String v : List.of("s2", "s3")) {
            s1.step(new RequestVoteResponse(v, "s1", 4, true, true));
        }
        drain(s1);
        for (String v : List.of("s2", "s3")) {
            s1.step(new RequestVoteResponse(v, "s1", 4, true, false));
        }
        assertThat(s1.role()).isEqualTo(Role.LEADER);
        assertThat(s1.term()).isEqualTo(4);
        drain(s1); // persists the term-4 no-op at index 3
        // S2 and S3 acknowledge index 2 (the old term-2 entry) but not yet the no-op.
        s1.step(AppendEntriesResponse.accept("s2", "s1", 4, 2));
        s1.step(AppendEntriesResponse.accept("s3", "s1", 4, 2));
        drain(s1);
        assertThat(s1.commitIndex()).as("a term-2 entry on a majority is still not committed").isZero();
        s1.step(AppendEntriesResponse.accept("s2", "s1", 4, 3));
        drain(s1);
        assertThat(s1.commitIndex()).as("the no-op is on two of five only").isZero();
        s1.step(AppendEntriesResponse.accept("s3", "s1", 4, 3));
        drain(s1);
        assertThat(s1.commitIndex()).as("the term-4 no-op commits, and the term-2 entry with it").isEqualTo(3);
    }

    @Test
    void s5_4_3_aMinorityCannotCommit() {
        TestNetwork net = new TestNetwork(5, 7);
        net.elect("n1");
        long before = net.raft("n1").commitIndex();
        net.crash("n3");
        net.crash("n4");
        net.crash("n5");
        net.raft("n1").propose(put("k", "v"));
        net.tickAll(5);
        assertThat(net.raft("n1").commitIndex()).isEqualTo(before);
        assertThat(net.raft("n2").commitIndex()).isEqualTo(before);
    }
}
