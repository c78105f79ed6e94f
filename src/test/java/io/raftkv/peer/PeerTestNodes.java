package io.raftkv.peer;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.storage.DurableStorage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Member n1 of a three-member cluster, as the peer server's tests serve it (peer secret "s"). */
final class PeerTestNodes {
    static final Membership THREE = new Membership(List.of(new Peer("n1", "http://127.0.0.1:1"),
            new Peer("n2", "http://127.0.0.1:2"), new Peer("n3", "http://127.0.0.1:3")));

    private PeerTestNodes() {
    }

    /** n1 over {@code dir}, which already holds the cluster: a new directory would first have to pass the identity check. */
    static RaftKvNode existingMember(Path dir) throws IOException {
        RaftStorage existing = DurableStorage.open(dir);
        existing.bootstrap(THREE);
        DurableStorage.close(existing);
        return RaftKvNode.open(new RaftKvNode.Settings("n1", "http://127.0.0.1:9", dir, THREE, RaftConfig.defaults("n1"), "s",
                1000, 100, Duration.ofSeconds(1), IdempotencyPolicy.defaults(), "", null), NodeMetrics.noop());
    }
}
