package io.raftkv.raft;

import io.raftkv.raft.sim.TestNetwork;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rule that keeps nodes timing out together from splitting the vote after a leader dies:
 * "a node that grants a pre-vote to one that outranks it (a newer log, or as new and an id that sorts
 * first) lets that one run: it gives up its own pre-vote, or, as a follower whose leader has been
 * silent for an election timeout, restarts its timer, once until it hears from a leader again."
 */
class StandAsideTest {
    private static final int ET = RaftConfig.defaults("n1").electionTicks();

    /** A five-node cluster whose leader n1 has crashed and whose survivors have all waited out its lease. */
    private static TestNetwork leaderGoneAndLeasesOver(long seed) {
        TestNetwork net = new TestNetwork(5, seed);
        net.elect("n1");
        net.crash("n1");
        net.setFilter(m -> false); // whatever the survivors say while their timers run out is lost
        for (String n : List.of("n2", "n3", "n4", "n5")) {
            net.tick(n, ET);
        }
        net.heal();
        net.takeSent();
        return net;
    }

    private static List<RequestVote> realVoteRequestsFrom(List<Message> sent, String from) {
        return sent.stream().filter(m -> m instanceof RequestVote rv && !rv.preVote() && rv.from().equals(from))
                .map(RequestVote.class::cast).toList();
    }

    @Test
    void ofTwoPreCandidatesWithTheSameLogOnlyTheOneWhoseIdSortsFirstAsksForVotes() {
        TestNetwork net = leaderGoneAndLeasesOver(41);
        long term = net.raft("n2").term();
        net.raft("n3").campaign();
        net.raft("n2").campaign();
        net.stabilize();

        List<Message> sent = net.takeSent();
        assertThat(realVoteRequestsFrom(sent, "n3")).as("n3 granted n2's pre-vote and gave up its own").isEmpty();
        assertThat(net.leader()).isEqualTo("n2");
        assertThat(net.raft("n2").term()).isEqualTo(term + 1);
    }

    @Test
    void twoPreCandidatesThatBothWouldWinDoNotSplitTheVote() {
        TestNetwork net = leaderGoneAndLeasesOver(42);
        long term = net.raft("n2").term();
        // Each candidate's vote request reaches one voter late, after that voter voted for the other:
        // with both raising their term, n2 + n4 against n3 + n5 and no leader in the new term.
        net.setFilter(m -> !(m instanceof RequestVote rv && !rv.preVote()
                && (rv.from().equals("n2") && rv.to().equals("n5") || rv.from().equals("n3") && rv.to().equals("n4"))));
        net.raft("n2").campaign();
        net.raft("n3").campaign();
        net.stabilize();

        assertThat(net.leader()).as("a leader within the first new term").isEqualTo("n2");
        assertThat(net.raft("n2").term()).isEqualTo(term + 1);
    }

    @Test
    void aNewerLogOutranksAnIdThatSortsFirst() {
        TestNetwork net = leaderGoneAndLeasesOver(43);
        RaftNode n2 = net.raft("n2");
        long term = n2.term();
        net.isolate("n2");
        n2.campaign();
        net.stabilize();
        // n4 asks with one entry more than n2 holds: n2 grants, and stands aside although "n2" < "n4".
        n2.step(new RequestVote("n4", "n2", term + 1, n2.lastIndex() + 1, n2.termAt(n2.lastIndex()), true, false));
        net.stabilize();

        assertThat(granted(net.takeSent(), "n2", "n4")).isTrue();
        assertThat(n2.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n2.term()).isEqualTo(term);
    }

    @Test
    void aFollowerThatGrantsAnOutrankingPreVoteWaitsAWholeTimeoutBeforeItsOwnButOnlyOnceUntilALeaderSpeaks() {
        TestNetwork net = leaderGoneAndLeasesOver(44);
        RaftNode n3 = net.raft("n3");
        assertThat(n3.role()).as("precondition: n3's own timeout has not run out yet").isEqualTo(Role.FOLLOWER);
        long term = n3.term();
        net.isolate("n3");
        n3.step(new RequestVote("n2", "n3", term + 1, n3.lastIndex(), n3.termAt(n3.lastIndex()), true, false));
        net.stabilize();
        assertThat(granted(net.takeSent(), "n3", "n2")).isTrue();
        assertThat(n3.leader()).as("the silent leader is forgotten").isNull();

        // Without the rule n3 would campaign by 2 * ET ticks after n1's last word, ET - 1 from now.
        net.tick("n3", ET - 1);
        assertThat(n3.role()).isEqualTo(Role.FOLLOWER);

        // n2 never wins (say its answers are lost) and keeps asking, more often than n3 would time out:
        // n3 still runs for itself within its next timeout.
        net.takeSent();
        for (int t = 0; t < 2 * ET; t++) {
            if (t % 5 == 0) {
                n3.step(new RequestVote("n2", "n3", term + 1, n3.lastIndex(), n3.termAt(n3.lastIndex()), true, false));
            }
            net.tick("n3", 1);
        }
        assertThat(net.takeSent()).as("n3's own pre-votes")
                .anyMatch(m -> m instanceof RequestVote rv && rv.preVote() && rv.from().equals("n3"));

        // Once a leader has spoken, the next time it falls silent n3 stands aside again.
        n3.step(new Heartbeat("n2", "n3", term + 1, n3.commitIndex(), 0));
        net.stabilize();
        assertThat(n3.leader()).isEqualTo("n2");
        net.tick("n3", ET - 1);
        net.setFilter(m -> false);
        net.tick("n3", 1); // the lease is over; should n3 time out now, its pre-vote is lost
        net.heal();
        n3.step(new RequestVote("n1", "n3", n3.term() + 1, n3.lastIndex(), n3.termAt(n3.lastIndex()), true, false));
        net.stabilize();
        assertThat(n3.leader()).isNull();
        assertThat(n3.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void aFollowerThatHeardItsLeaderWithinAnElectionTimeoutKeepsItWhenItGrantsAPreVote() {
        // Without CheckQuorum no lease keeps a follower from granting pre-votes while its leader is alive.
        RaftConfig noCheckQuorum = new RaftConfig("n1", ET, 5, 1 << 20, 64, 150, false, true,
                RaftConfig.DEFAULT_PROMOTION_MAX_LAG);
        TestNetwork net = new TestNetwork(3, 45, noCheckQuorum);
        net.elect("n1");
        RaftNode n3 = net.raft("n3");
        n3.step(new RequestVote("n2", "n3", n3.term() + 1, n3.lastIndex(), n3.termAt(n3.lastIndex()), true, false));
        net.stabilize();

        assertThat(granted(net.takeSent(), "n3", "n2")).isTrue();
        assertThat(n3.leader()).isEqualTo("n1");
    }

    private static boolean granted(List<Message> sent, String from, String to) {
        return sent.stream().anyMatch(m -> m instanceof RequestVoteResponse r && r.preVote() && r.granted()
                && r.from().equals(from) && r.to().equals(to));
    }
}
