package io.raftkv.web;

import io.raftkv.node.MemberView;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * {@code GET /cluster}: the members as this node sees them (learners too), who leads, and in which
 * term; on the leader also each member's progress and the failure tolerance.
 */
@RestController
final class ClusterController {
    private final StatusBoard board;
    private final PeerDirectory directory;
    private final Supplier<List<MemberView>> progress;

    @Autowired
    ClusterController(RaftKvNode node) {
        this(node.board(), node.directory(), () -> leaderProgress(node));
    }

    ClusterController(StatusBoard board, PeerDirectory directory) {
        this(board, directory, List::of);
    }

    /** @param progress each member's replication progress when this node leads; empty otherwise */
    ClusterController(StatusBoard board, PeerDirectory directory, Supplier<List<MemberView>> progress) {
        this.board = board;
        this.directory = directory;
        this.progress = progress;
    }

    private static List<MemberView> leaderProgress(RaftKvNode node) {
        if (!node.status().isLeader()) {
            return List.of();
        }
        try {
            return node.members().get(1, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** @param matchIndex, lag as the leader knows them; null unless this node leads */
    record Member(String id, String peerUrl, String clientUrl, String role, boolean self, Long matchIndex, Long lag) {
    }

    /** @param failureTolerance how many more voters may fail before writes stop; null unless this node leads */
    record Cluster(String id, String role, String leader, String leaderUrl, long term, long commitIndex,
                   long appliedIndex, List<Member> members, Integer failureTolerance) {
    }

    /** @param progress the leader's view of {@code p}; null unless this node leads */
    private Member member(Peer p, String role, boolean self, MemberView progress) {
        return new Member(p.id(), p.address(), directory.clientUrl(p.id()).orElse(null), role, self,
                progress == null ? null : progress.matchIndex(), progress == null ? null : progress.lag());
    }

    @GetMapping(value = "/cluster", produces = MediaType.APPLICATION_JSON_VALUE)
    Cluster cluster() {
        NodeStatus s = board.current();
        List<MemberView> views = s.isLeader() ? progress.get() : List.of();
        Map<String, MemberView> byId = new HashMap<>();
        views.forEach(v -> byId.put(v.id(), v));
        List<Member> members = new ArrayList<>();
        for (Peer p : s.membership().learners()) {
            members.add(member(p, "learner", p.id().equals(s.id()), byId.get(p.id())));
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
            members.add(member(p, role, self, byId.get(p.id())));
        }
        return new Cluster(s.id(), s.role().label(), s.leader(),
                directory.clientUrl(s.leader()).orElse(null), s.term(), s.commitIndex(), s.appliedIndex(), members,
                MembersController.failureTolerance(s.membership(), views));
    }
}
