package io.raftkv.web;

import io.raftkv.node.NodeStatus;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Peer;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;

/** {@code GET /cluster}: the members as this node sees them, who leads, and in which term. */
@RestController
final class ClusterController {
    private final RaftKvNode node;

    ClusterController(RaftKvNode node) {
        this.node = node;
    }

    record Member(String id, String peerUrl, String clientUrl, String role, boolean self) {
    }

    record Cluster(String id, String role, String leader, String leaderUrl, long term, long commitIndex,
                   long appliedIndex, List<Member> members) {
    }

    @GetMapping(value = "/cluster", produces = MediaType.APPLICATION_JSON_VALUE)
    Cluster cluster() {
        NodeStatus s = node.status();
        List<Member> members = new ArrayList<>();
        for (Peer p : s.membership().voters()) {
            boolean self = p.id().equals(s.id());
            String role;
            if (self) {
                role = s.role().name().toLowerCase().replace('_', '-');
            } else if (p.id().equals(s.leader())) {
                role = "leader";
            } else {
                role = s.leader() != null ? "follower" : "unknown";
            }
            members.add(new Member(p.id(), p.address(), node.directory().clientUrl(p.id()).orElse(null), role, self));
        }
        return new Cluster(s.id(), s.role().name().toLowerCase().replace('_', '-'), s.leader(),
                node.directory().clientUrl(s.leader()).orElse(null), s.term(), s.commitIndex(), s.appliedIndex(), members);
    }
}
