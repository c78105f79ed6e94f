package io.raftkv.web;

import io.raftkv.node.NodeStatus;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.StatusBoard;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Role;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;

/** {@code GET /cluster}: the members as this node sees them, who leads, and in which term. */
@RestController
final class ClusterController {
    private final StatusBoard board;
    private final PeerDirectory directory;

    @Autowired
    ClusterController(RaftKvNode node) {
        this(node.board(), node.directory());
    }

    ClusterController(StatusBoard board, PeerDirectory directory) {
        this.board = board;
        this.directory = directory;
    }

    record Member(String id, String peerUrl, String clientUrl, String role, boolean self) {
    }

    record Cluster(String id, String role, String leader, String leaderUrl, long term, long commitIndex,
                   long appliedIndex, List<Member> members) {
    }

    @GetMapping(value = "/cluster", produces = MediaType.APPLICATION_JSON_VALUE)
    Cluster cluster() {
        NodeStatus s = board.current();
        List<Member> members = new ArrayList<>();
        for (Peer p : s.membership().learners()) {
            members.add(new Member(p.id(), p.address(), directory.clientUrl(p.id()).orElse(null), "learner", p.id().equals(s.id())));
        }
        for (Peer p : s.membership().voters()) {
            boolean self = p.id().equals(s.id());
            String role;
            if (self) {
                role = s.role().label();
            } else if (p.id().equals(s.leader())) {
                role = Role.LEADER.label();
            } else {
                // Without a leader this node cannot tell who follows and who campaigns.
                role = s.leader() != null ? Role.FOLLOWER.label() : "unknown";
            }
            members.add(new Member(p.id(), p.address(), directory.clientUrl(p.id()).orElse(null), role, self));
        }
        return new Cluster(s.id(), s.role().label(), s.leader(),
                directory.clientUrl(s.leader()).orElse(null), s.term(), s.commitIndex(), s.appliedIndex(), members);
    }
}
