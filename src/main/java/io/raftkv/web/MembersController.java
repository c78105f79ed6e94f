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
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Membership administration: who is in the cluster, adding a learner, promoting it, removing a
 * member, and the size the autopilot works toward. Changes run on the leader (others redirect), one at a time ({@code 409} while another is
 * not committed), and need the root token when authentication is on.
 */
@RestController
class MembersController {
    private static final Pattern MEMBER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}(~[0-9a-f]{1,16})?");
    private static final Pattern PEER_URL = Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");

    /** As the autopilot's {@code DesiredSize#MAX}: far beyond any sensible Raft cluster, a guard against typos. */
    private static final int MAX_SIZE = 99;

    private final RaftKvNode node;
    private final LeaderRouter router;
    private final boolean kubernetes;

    MembersController(RaftKvNode node, LeaderRouter router,
                      @Value("${raftkv.autopilot.kubernetes.enabled:false}") boolean kubernetes) {
        this.node = node;
        this.router = router;
        this.kubernetes = kubernetes;
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

    /** @param size the number of voters the autopilot works toward; null when none was set (keep the voters there are) */
    record Size(Integer size, int voters) {
    }

    record SetSize(Integer size) {
    }

    /** Served by the leader, which alone knows each member's progress; others redirect to it. */
    @GetMapping(value = "/cluster/members", produces = MediaType.APPLICATION_JSON_VALUE)
    CompletableFuture<ResponseEntity<Object>> members(HttpServletRequest req) {
        return router.onLeader(req, LeaderRouter.Kind.READ, node::members, progress -> ResponseEntity.ok(view(progress)));
    }

    private Members view(List<MemberView> progress) {
        NodeStatus s = node.status();
        PeerDirectory dir = node.directory();
        Membership m = s.membership();
        List<Member> out = new ArrayList<>();
        for (String id : m.memberIds()) {
            MemberView v = progress.stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
            boolean voter = m.isVoter(id);
            out.add(new Member(id, Peer.nameOf(id), voter ? "voter" : "learner", m.peer(id).map(Peer::address).orElse(""),
                    dir.clientUrl(id).orElse(null), v == null ? null : v.matchIndex(), v == null ? null : v.lag(),
                    v == null ? null : v.recentlyActive()));
        }
        return new Members(s.leader(), out, failureTolerance(m, progress));
    }

    /** Healthy voters beyond a majority, as the leader sees them; null without the leader's progress. */
    static Integer failureTolerance(Membership m, List<MemberView> progress) {
        if (progress.isEmpty()) {
            return null;
        }
        long healthy = progress.stream().filter(v -> m.isVoter(v.id()) && v.recentlyActive()).count();
        return (int) Math.max(0, healthy - Quorum.majority(m.ids().size()));
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

    @GetMapping(value = "/cluster/size", produces = MediaType.APPLICATION_JSON_VALUE)
    Size size() {
        Membership m = node.status().membership();
        return new Size(m.desiredSize() == 0 ? null : m.desiredSize(), m.voters().size());
    }

    /**
     * Sets the size the autopilot works toward, through the log. In Kubernetes the StatefulSet's
     * {@code spec.replicas} is the size, so this is refused there.
     */
    @PutMapping(value = "/cluster/size", consumes = MediaType.APPLICATION_JSON_VALUE)
    CompletableFuture<ResponseEntity<Object>> setSize(@RequestBody SetSize body, HttpServletRequest req) {
        Callers.requireAdmin();
        if (kubernetes) {
            return done(Problems.of(HttpStatus.CONFLICT, "size-from-statefulset", "the cluster size follows the StatefulSet's "
                    + "spec.replicas (raftkv.autopilot.kubernetes.enabled): use kubectl scale or helm upgrade --set replicas=N"));
        }
        if (body == null || body.size() == null || body.size() < 1 || body.size() > MAX_SIZE) {
            return done(Problems.of(HttpStatus.BAD_REQUEST, "bad-size", "size must be a number of voters from 1 to " + MAX_SIZE));
        }
        int size = body.size();
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.setDesiredSize(size),
                v -> ResponseEntity.ok((Object) new Size(size, node.status().membership().voters().size())));
    }

    private static CompletableFuture<ResponseEntity<Object>> done(ResponseEntity<Object> r) {
        return CompletableFuture.completedFuture(r);
    }
}
