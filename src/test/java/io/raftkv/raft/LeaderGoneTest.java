package io.raftkv.raft;

import io.raftkv.raft.sim.KvCommand;
import io.raftkv.raft.sim.TestNetwork;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RaftNode#peerGone}: the transport's evidence that a peer's process died shortens a
 * follower's wait for its leader, and never lets it disrupt a leader others still hear from.
 */
class LeaderGoneTest {
    private static final int ELECTION_TICKS = RaftConfig.defaults("n1").electionTicks();

    @Test
    void followersThatSawTheirLeaderDieElectANewOneWellWithinAnElectionTimeout() {
        for (long seed = 1; seed <= 50; seed++) {
            TestNetwork net = new TestNetwork(3, seed);
            net.elect("n1");
            long term = net.raft("n1").term();
            net.crash("n1");
            net.raft("n2").peerGone("n1");
            net.raft("n3").peerGone("n1");
            net.stabilize();
            assertThat(net.raft("n2").leader()).as("a follower that saw its leader die forgets it").isNull();
            int ticks = 0;
            while (net.leader() == null || net.leader().equals("n1")) {
                net.tickAll(1);
                ticks++;
                assertThat(ticks).as("seed %d: ticks until a new leader", seed).isLessThanOrEqualTo(2 * RaftNode.GONE_CAMPAIGN_STRIDE_TICKS);
            }
            assertThat(net.raft(net.leader()).term()).as("seed %d: one election, no split vote", seed).isEqualTo(term + 1);
        }
    }

    @Test
    void survivorsCampaignOneAtATimeSoALaggingFirstDoesNotSplitTheVote() {
        TestNetwork net = new TestNetwork(5, 3);
        net.elect("n1");
        long term = net.raft("n1").term();
        // n2, the first survivor in turn, misses the last entry; the other three have it.
        net.cut("n1", "n2");
        net.raft("n1").propose(new KvCommand(KvCommand.Kind.PUT, "k", "v", null).encode());
        net.stabilize();
        net.heal();
        net.crash("n1");
        for (String s : new String[]{"n2", "n3", "n4", "n5"}) {
            net.raft(s).peerGone("n1");
        }
        net.stabilize();
        int ticks = 0;
        while (net.leader() == null || net.leader().equals("n1")) {
            net.tickAll(1);
            assertThat(++ticks).as("ticks until a new leader").isLessThanOrEqualTo(4 * RaftNode.GONE_CAMPAIGN_STRIDE_TICKS);
        }
        assertThat(net.leader()).as("the first whose log is up to date").isEqualTo("n3");
        assertThat(net.raft("n3").term()).as("one election, no split vote").isEqualTo(term + 1);
    }

    @Test
    void aFollowerAloneInThinkingItsLeaderGoneCannotDisruptIt_dissertation_9_6() {
        TestNetwork net = new TestNetwork(3, 7);
        net.elect("n1");
        long term = net.raft("n1").term();
        net.raft("n2").peerGone("n1");
        net.stabilize();
        // n2 campaigns within the spread; n3 and n1 still heard from the leader within the minimum
        // election timeout, so its pre-vote is refused and nobody's term moves.
        net.tick("n2", 3 * RaftNode.GONE_CAMPAIGN_STRIDE_TICKS);
        assertThat(net.raft("n2").role()).isNotEqualTo(Role.LEADER);
        assertThat(net.raft("n1").role()).isEqualTo(Role.LEADER);
        assertThat(net.raft("n1").term()).isEqualTo(term);
        assertThat(net.raft("n3").term()).isEqualTo(term);
        // The leader's next heartbeat is followed again.
        net.tick("n1", RaftConfig.defaults("n1").heartbeatTicks());
        assertThat(net.raft("n2").leader()).isEqualTo("n1");
        assertThat(net.raft("n2").role()).isEqualTo(Role.FOLLOWER);
        assertThat(net.raft("n2").term()).isEqualTo(term);
    }

    @Test
    void newsOfAPeerThatIsNotTheLeaderChangesNothing() {
        TestNetwork net = new TestNetwork(3, 9);
        net.elect("n1");
        net.raft("n2").peerGone("n3");
        net.raft("n1").peerGone("n2");
        net.stabilize();
        assertThat(net.raft("n2").leader()).isEqualTo("n1");
        net.tickAll(ELECTION_TICKS - 1);
        assertThat(net.leader()).isEqualTo("n1");
        assertThat(net.raft("n1").role()).isEqualTo(Role.LEADER);
    }
}
