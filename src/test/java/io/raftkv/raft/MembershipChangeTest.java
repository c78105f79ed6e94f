package io.raftkv.raft;

import io.raftkv.raft.sim.KvCommand;
import io.raftkv.raft.sim.TestNetwork;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Learners, one-step membership changes and removed member ids, through the production driver. */
class MembershipChangeTest {

    private static byte[] put(String key, String value) {
        return new KvCommand(KvCommand.Kind.PUT, key, value, null).encode();
    }

    private static Peer peer(String id) {
        return new Peer(id, "sim://" + id);
    }

    /** n1 leads a three-voter cluster and n4 (empty, knowing no one) has been added as a learner. */
    private static TestNetwork withLearner(long seed) {
        TestNetwork net = new TestNetwork(3, seed);
        net.elect("n1");
        net.join("n4");
        net.raft("n1").proposeMembership(net.raft("n1").membership().withLearner(peer("n4")));
        net.stabilize();
        return net;
    }

    @Test
    void aLearnerReceivesTheLogButNeverCountsTowardAMajority() {
        // §4.2.1: new servers join as non-voting members; they get the log, they do not count for commitment.
        TestNetwork net = withLearner(1);
        Proposal p = net.raft("n1").propose(put("a", "1"));
        net.stabilize();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.node("n4").sm.get("a")).isEqualTo("1");
        assertThat(net.raft("n4").membership().isLearner("n4")).isTrue();

        net.crash("n2");
        net.crash("n3");
        long before = net.raft("n1").commitIndex();
        net.raft("n1").propose(put("b", "2"));
        net.tickAll(5);
        assertThat(net.raft("n1").commitIndex()).as("n1 and the learner n4 are not a majority of {n1,n2,n3}")
                .isEqualTo(before).isGreaterThanOrEqualTo(p.index());
    }

    @Test
    void aLearnerNeverCampaignsNorCountsForCheckQuorum() {
        TestNetwork net = withLearner(2);
        net.crash("n1");
        net.crash("n2");
        net.tickAll(10 * RaftConfig.defaults("n1").electionTicks());
        assertThat(net.raft("n4").role()).isEqualTo(Role.FOLLOWER);
        assertThat(net.raft("n4").term()).as("it never even started a pre-vote that moved a term").isEqualTo(net.raft("n3").term());
    }

    @Test
    void aPromotedLearnerCountsTowardTheMajority() {
        TestNetwork net = withLearner(3);
        Proposal promote = net.raft("n1").proposeMembership(net.raft("n1").membership().promote("n4"));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).isGreaterThanOrEqualTo(promote.index());
        net.crash("n2");
        Proposal p = net.raft("n1").propose(put("a", "1"));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).as("n1, n3 and n4 are three of four voters").isGreaterThanOrEqualTo(p.index());
        net.crash("n3");
        long before = net.raft("n1").commitIndex();
        net.raft("n1").propose(put("b", "2"));
        net.tickAll(5);
        assertThat(net.raft("n1").commitIndex()).as("two of four voters are not a majority").isEqualTo(before);
    }

    @Test
    void aLearnerThatIsBehindOrSilentIsNotPromotedUntilItHasCaughtUp() {
        // §4.2.1: a new server joins without a vote until it has caught up, or it would hold up commits.
        TestNetwork net = new TestNetwork(3, 9, new RaftConfig("n1", 15, 5, 1 << 20, 64, 150, true, true, 10));
        net.elect("n1");
        net.join("n4");
        net.raft("n1").proposeMembership(net.raft("n1").membership().withLearner(peer("n4")));
        net.stabilize();
        net.crash("n4");
        for (int i = 0; i < 11; i++) {
            net.raft("n1").propose(put("k" + i, "v"));
        }
        net.stabilize();
        assertThatThrownBy(() -> net.raft("n1").proposeMembership(net.raft("n1").membership().promote("n4")))
                .isInstanceOf(MembershipChangeException.class).hasMessageContaining("11 entries behind the leader")
                .matches(e -> ((MembershipChangeException) e).retryable());
        assertThat(net.raft("n1").membership().isLearner("n4")).isTrue();

        net.tick("n1", 2 * 15);
        net.restart("n4");
        net.raft("n1").propose(put("k", "v"));
        net.stabilize();
        assertThat(net.raft("n1").lastIndex() - net.raft("n1").matchIndexes().get("n4")).isZero();
        Proposal promote = net.raft("n1").proposeMembership(net.raft("n1").membership().promote("n4"));
        net.stabilize();
        assertThat(net.raft("n1").commitIndex()).isGreaterThanOrEqualTo(promote.index());
        assertThat(net.raft("n1").membership().isVoter("n4")).isTrue();
    }

    @Test
    void aLearnerNotHeardFromWithinAnElectionTimeoutIsNotPromotedEvenWhenItsLogIsComplete() {
        TestNetwork net = withLearner(5);
        net.crash("n4");
        net.tick("n1", 2 * RaftConfig.defaults("n1").electionTicks());
        net.stabilize();
        assertThatThrownBy(() -> net.raft("n1").proposeMembership(net.raft("n1").membership().promote("n4")))
                .isInstanceOf(MembershipChangeException.class).hasMessageContaining("0 entries behind")
                .hasMessageContaining("has not answered lately");
    }

    @Test
    void onlyOneMembershipChangeMayBeUncommittedAtATime() {
        // §4.1: a leader does not start a change until the previous one has committed.
        TestNetwork net = withLearner(4);
        net.crash("n2");
        net.crash("n3");
        net.raft("n1").proposeMembership(net.raft("n1").membership().promote("n4"));
        net.stabilize();
        assertThat(net.raft("n1").membershipChangePending()).isTrue();
        assertThatThrownBy(() -> net.raft("n1").proposeMembership(net.raft("n1").membership().without("n3")))
                .isInstanceOf(MembershipChangeException.class).hasMessageContaining("not committed yet")
                .matches(e -> ((MembershipChangeException) e).retryable());
    }

    @Test
    void aNewLeaderProposesNoChangeBeforeAnEntryOfItsTermCommits() {
        // The fix to single-server changes (Ongaro, raft-dev, 2015): a leader may not append a new
        // configuration entry until it has committed an entry from its current term.
        TestNetwork net = new TestNetwork(3, 5);
        net.elect("n1");
        net.isolate("n1");
        net.setFilter(m -> !(m instanceof AppendEntriesResponse));
        net.elect("n2");
        Membership next = net.raft("n2").membership().without("n1");
        assertThatThrownBy(() -> net.raft("n2").proposeMembership(next))
                .isInstanceOf(MembershipChangeException.class).hasMessageContaining("not yet committed an entry of its term")
                .matches(e -> ((MembershipChangeException) e).retryable());
        net.setFilter(m -> true);
        net.tick("n2", RaftConfig.defaults("n2").heartbeatTicks());
        Proposal p = net.raft("n2").proposeMembership(next);
        net.stabilize();
        assertThat(net.raft("n2").commitIndex()).isGreaterThanOrEqualTo(p.index());
    }

    @Test
    void aRemovedMemberIdIsIgnoredForeverEvenWithAHigherTerm() {
        // A data directory that comes back after its member was removed must not vote or disturb anyone.
        TestNetwork net = new TestNetwork(3, 6);
        net.elect("n1");
        net.raft("n1").proposeMembership(net.raft("n1").membership().without("n3"));
        net.stabilize();
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.raft("n2").membership().isRemoved("n3")).isTrue();
        long term = net.raft("n1").term();
        net.deliver(new RequestVote("n3", "n2", term + 5, 1_000, term + 4, false, true));
        net.deliver(new AppendEntries("n3", "n1", term + 5, 0, 0, List.of(), 0));
        net.stabilize();
        assertThat(net.raft("n2").term()).isEqualTo(term);
        assertThat(net.raft("n1").term()).isEqualTo(term);
        assertThat(net.raft("n1").role()).isEqualTo(Role.LEADER);
        assertThatThrownBy(() -> net.raft("n1").proposeMembership(net.raft("n1").membership().withLearner(peer("n3"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("removed");
    }

    @Test
    void aLeaderCutOffHalfwayThroughRemovingItselfCanStillFinishIt() {
        // Found by the simulator: n1 appends its own removal ({n2}), loses leadership (here: restarts)
        // before it commits, and then holds the longest log. n2 (still on {n1, n2}) needs n1's vote and cannot get it, so
        // n1, not a voter of its latest membership, must be able to campaign under it to finish.
        TestNetwork net = new TestNetwork(2, 7);
        net.elect("n1");
        net.setFilter(m -> !(m instanceof AppendEntries));
        net.raft("n1").proposeMembership(net.raft("n1").membership().without("n1"));
        net.stabilize();
        assertThat(net.raft("n2").membership().isVoter("n1")).as("n2 never got the removal").isTrue();
        net.crash("n1"); // it loses leadership; it comes back with its removal in its log, uncommitted
        net.restart("n1");
        net.setFilter(m -> true);
        net.tickAll(10 * RaftConfig.defaults("n1").electionTicks());
        assertThat(net.raft("n1").membership().isRemoved("n1")).isTrue();
        assertThat(net.raft("n2").membership().ids()).containsExactly("n2");
        assertThat(net.leader()).isEqualTo("n2");
        Proposal p = net.raft("n2").propose(put("after", "1"));
        net.stabilize();
        assertThat(net.raft("n2").commitIndex()).isGreaterThanOrEqualTo(p.index());
    }

    @Test
    void aResentBatchThatEndsBeforeTheNewestMembershipDoesNotTakeItBack() {
        // Found by the simulator: a follower holding a write and then a promotion, both not yet known
        // committed, got the write again alone (a retransmission); it went back to the membership
        // before the promotion while its log still held the promotion.
        TestNetwork net = withLearner(8);
        Proposal write = net.raft("n1").propose(put("x", "1"));
        Membership promoted = net.raft("n1").membership().promote("n4");
        net.raft("n1").proposeMembership(promoted);
        net.stabilize();
        RaftNode n2 = net.raft("n2");
        assertThat(n2.membership()).isEqualTo(promoted);
        assertThat(n2.commitIndex()).as("the new commit index has not reached n2 yet").isLessThan(write.index());
        long last = n2.lastIndex();
        Entry resent = net.node("n2").storage.log().entries(write.index(), write.index() + 1, Long.MAX_VALUE).get(0);
        net.deliver(new AppendEntries("n1", "n2", net.raft("n1").term(), write.index() - 1, n2.termAt(write.index() - 1),
                List.of(resent), n2.commitIndex()));
        net.stabilize();
        assertThat(n2.lastIndex()).isEqualTo(last);
        assertThat(n2.membership()).as("the log still ends with the promotion").isEqualTo(promoted);
    }

    @Test
    void aRemovedIdCannotComeBackThroughAHandMadeMembership() {
        Membership m = new Membership(List.of(peer("n1"), peer("n2")), List.of(), Set.of("n3"));
        assertThat(m.whyNotNext(new Membership(List.of(peer("n1"), peer("n2"), peer("n3")))))
                .contains("cannot come back");
        assertThatThrownBy(() -> new Membership(List.of(peer("n1")), List.of(), Set.of("n1")))
                .hasMessageContaining("cannot be a member again");
    }

    @Test
    void membershipRoundTripsAndStillReadsTheVotersOnlyEncoding() throws Exception {
        Membership m = new Membership(List.of(peer("n1"), peer("n2")), List.of(peer("n4~3fa9c1")), Set.of("n3"));
        assertThat(Membership.decode(m.encode())).isEqualTo(m);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.writeInt(1);
        out.writeUTF("n1");
        out.writeUTF("http://a:1");
        assertThat(Membership.decode(bytes.toByteArray())).isEqualTo(new Membership(List.of(new Peer("n1", "http://a:1"))));
        assertThat(Peer.nameOf("n4~3fa9c1")).isEqualTo("n4");
        assertThat(Peer.nameOf("raftkv-0")).isEqualTo("raftkv-0");
    }
}
