package io.raftkv.web;

import io.raftkv.node.MemberView;
import io.raftkv.node.NodeStatus;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Quorum;
import io.raftkv.security.Callers;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Membership administration: who is in the cluster, adding a learner, promoting it, removing a
 * member. Changes run on the leader (others redirect), one at a time ({@code 409} while another is
 * not committed), and need the root token when authentication is on.
 */
@RestController
class MembersController {
    private static final Pattern MEMBER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}(~[0-9a-f]{1,16})?");
    private static final Pattern PEER_URL = Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");

    private final RaftKvNode node;
    private final LeaderRouter router;

    MembersController(RaftKvNode node, LeaderRouter router) {
        this.node = node;
        this.router = router;
    }

    /** A member as {@code GET /cluster/members} shows it; progress only when this node leads. */
    record Member(String id, String name, String role, String peerUrl, String clientUrl, Long matchIndex, Long lag,
                  Boolean healthy) {
    }

    /**
     * @param failureTolerance how many more voters may fail before writes stop: healthy voters beyond a
     *                         majority (as the leader sees them), or null when this node does not lead
     */
    record Members(String leader, List<Member> members, Integer failureTolerance) {
    }

    record AddMember(String id, String peerUrl, String clientUrl) {
    }

    @GetMapping(value = "/cluster/members", produces = MediaType.APPLICATION_JSON_VALUE)
    CompletableFuture<Members> members() {
        NodeStatus s = node.status();
        PeerDirectory dir = node.directory();
        return node.members().thenApply(progress -> {
            Membership m = s.membership();
            List<Member> out = new ArrayList<>();
            int healthyVoters = 0;
            for (String id : m.memberIds()) {
                MemberView v = progress.stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
                boolean voter = m.isVoter(id);
                if (v != null && voter && v.recentlyActive()) {
                    healthyVoters++;
                }
                out.add(new Member(id, Peer.nameOf(id), voter ? "voter" : "learner", m.peer(id).map(Peer::address).orElse(""),
                        dir.clientUrl(id).orElse(null), v == null ? null : v.matchIndex(), v == null ? null : v.lag(),
                        v == null ? null : v.recentlyActive()));
            }
            Integer tolerance = progress.isEmpty() ? null : Math.max(0, healthyVoters - Quorum.majority(m.ids().size()));
            return new Members(s.leader(), out, tolerance);
        });
    }

    @PostMapping(value = "/cluster/members", consumes = MediaType.APPLICATION_JSON_VALUE)
    CompletableFuture<ResponseEntity<Object>> add(@RequestBody AddMember body, HttpServletRequest req) {
        Callers.requireAdmin();
        if (body == null || body.id() == null || !MEMBER_ID.matcher(body.id()).matches()) {
            return done(Problems.of(HttpStatus.BAD_REQUEST, "bad-member-id",
                    "id must be a node name (letters, digits, '.', '_', '-'; at most 63), optionally with ~<hex>"));
        }
        if (body.peerUrl() == null || !PEER_URL.matcher(body.peerUrl()).matches()) {
            return done(Problems.of(HttpStatus.BAD_REQUEST, "bad-peer-url", "peerUrl must be http(s)://host:port"));
        }
        if (body.clientUrl() != null && !body.clientUrl().matches("https?://[^\\s/]+/?")) {
            return done(Problems.of(HttpStatus.BAD_REQUEST, "bad-client-url", "clientUrl must be http(s)://host:port"));
        }
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.addLearner(body.id(), body.peerUrl()),
                v -> {
                    if (body.clientUrl() != null) {
                        node.directory().learned(body.id(), body.clientUrl());
                    }
                    return ResponseEntity.status(HttpStatus.CREATED).body((Object) Map.of("id", body.id(), "role", "learner"));
                });
    }

    @PostMapping("/cluster/members/{id}/promote")
    CompletableFuture<ResponseEntity<Object>> promote(@PathVariable String id, HttpServletRequest req) {
        Callers.requireAdmin();
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.promote(id),
                v -> ResponseEntity.ok((Object) Map.of("id", id, "role", "voter")));
    }

    @DeleteMapping("/cluster/members/{id}")
    CompletableFuture<ResponseEntity<Object>> remove(@PathVariable String id, HttpServletRequest req) {
        Callers.requireAdmin();
        if (!node.status().membership().isMember(id)) {
            return done(Problems.of(HttpStatus.NOT_FOUND, "no-such-member", id + " is not a member"));
        }
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.remove(id), v -> ResponseEntity.noContent().build());
    }

    private static CompletableFuture<ResponseEntity<Object>> done(ResponseEntity<Object> r) {
        return CompletableFuture.completedFuture(r);
    }
}
