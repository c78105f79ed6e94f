package io.raftkv.raft;

import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A leader's batch proposal: one entry per command, in order, and nothing for an empty batch. */
class ProposeBatchTest {

    private static RaftNode soleLeader() {
        RaftStorage storage = new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore());
        storage.bootstrap(new Membership(List.of(new Peer("n1", ""))));
        RaftNode node = new RaftNode(RaftConfig.defaults("n1"), storage, new Random(1));
        node.campaign(); // a one-voter cluster elects itself at once
        assertThat(node.role()).isEqualTo(Role.LEADER);
        return node;
    }

    @Test
    void eachCommandGetsTheNextIndexInTheLeadersTerm() {
        RaftNode leader = soleLeader();
        long last = leader.lastIndex();
        List<Proposal> ps = leader.propose(List.of(new byte[] {1}, new byte[] {2}));
        assertThat(ps).containsExactly(new Proposal(last + 1, leader.term()), new Proposal(last + 2, leader.term()));
        assertThat(leader.lastIndex()).isEqualTo(last + 2);
    }

    @Test
    void anEmptyBatchAppendsNothing() {
        // A driver that drains an empty queue must not crash the core or append an empty entry.
        RaftNode leader = soleLeader();
        long last = leader.lastIndex();
        assertThat(leader.propose(List.of())).isEmpty();
        assertThat(leader.lastIndex()).isEqualTo(last);
    }
}
