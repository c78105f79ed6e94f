package io.raftkv.web;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import io.raftkv.kv.WriteResult;
import io.raftkv.node.LeaseKeeper;
import io.raftkv.node.RaftKvNode;
import io.raftkv.security.Caller;
import io.raftkv.security.Callers;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /leases}: grant, keep alive, revoke and inspect leases. Each change is a log entry proposed
 * by the leader and tagged with its term; only the leader times leases (see {@link LeaseKeeper}).
 */
@RestController
final class LeaseController {
    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofMillis(LeaseCommand.MAX_TTL_MILLIS);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RaftKvNode node;
    private final LeaderRouter router;
    private final LeaseKeeper keeper;

    LeaseController(RaftKvNode node, LeaderRouter router, LeaseKeeper keeper) {
        this.node = node;
        this.router = router;
        this.keeper = keeper;
    }

    record Alive(long id, long ttlMillis) {
    }

    record Ended(long id, long revision, int deletedKeys) {
    }

    record Shown(long id, long ttlMillis, long remainingMillis, long renewedAt, List<String> keys) {
    }

    @PostMapping("/leases")
    CompletableFuture<ResponseEntity<Object>> grant(HttpServletRequest req) throws IOException {
        Duration ttl = ttl(req);
        long used = node.quota().usedBytes();
        if (used + KvStateMachine.LEASE_COST > node.quota().quotaBytes()) {
            throw new BadRequestException(HttpStatus.INSUFFICIENT_STORAGE, "store-full", "a lease would take the store past its quota ("
                    + used + " of " + node.quota().quotaBytes() + " bytes used); revoke leases or delete keys; nothing was proposed");
        }
        return router.onLeader(req, LeaderRouter.Kind.WRITE,
                () -> node.write(new LeaseCommand.Grant(node.status().term(), ttl.toMillis())), r -> answer(r, true));
    }

    @PostMapping("/leases/{id}/keepalive")
    CompletableFuture<ResponseEntity<Object>> keepAlive(HttpServletRequest req, @PathVariable("id") String idText) {
        long id = id(idText);
        return router.onLeader(req, LeaderRouter.Kind.WRITE,
                () -> node.write(new LeaseCommand.KeepAlive(node.status().term(), id)), r -> answer(r, false));
    }

    @DeleteMapping("/leases/{id}")
    CompletableFuture<ResponseEntity<Object>> revoke(HttpServletRequest req, @PathVariable("id") String idText) {
        long id = id(idText);
        // Revoking deletes the lease's keys: the caller must be allowed to delete each of them.
        node.stateMachine().lease(id).ifPresent(l -> l.keys().forEach(Callers::requireWrite));
        return router.onLeader(req, LeaderRouter.Kind.WRITE,
                () -> node.write(new LeaseCommand.Revoke(node.status().term(), id)), r -> answer(r, false));
    }

    /** On the leader, since only it knows how much time is left. */
    @GetMapping("/leases/{id}")
    CompletableFuture<ResponseEntity<Object>> show(HttpServletRequest req, @PathVariable("id") String idText) {
        long id = id(idText);
        Caller caller = Callers.current();
        return router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> {
            Leases.Lease l = node.stateMachine().lease(id).orElse(null);
            if (l == null) {
                return notFound(id);
            }
            // A lease the leader's clock has not picked up yet was granted or renewed a moment ago: a whole TTL is left.
            long remaining = keeper.remaining(id, l.renewedAt()).map(Duration::toMillis).orElse(l.ttlMillis());
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                    .body(new Shown(l.id(), l.ttlMillis(), remaining, l.renewedAt(),
                            l.keys().stream().filter(caller::canRead).toList()));
        });
    }

    static ResponseEntity<Object> notFound(long id) {
        return Problems.of(HttpStatus.NOT_FOUND, "lease-not-found", "there is no lease " + id
                + " (never granted, revoked or expired); nothing was changed", Map.of("lease", id));
    }

    private static ResponseEntity<Object> answer(WriteResult r, boolean granting) {
        if (r instanceof WriteResult.LeaseAlive a) {
            ResponseEntity.BodyBuilder b = ResponseEntity.status(granting ? HttpStatus.CREATED : HttpStatus.OK)
                    .header(KvController.REVISION_HEADER, Long.toString(a.id()));
            if (granting) {
                b.location(URI.create("/leases/" + a.id()));
            }
            return b.contentType(MediaType.APPLICATION_JSON).body(new Alive(a.id(), a.ttlMillis()));
        }
        if (r instanceof WriteResult.LeaseEnded e) {
            return ResponseEntity.ok().header(KvController.REVISION_HEADER, Long.toString(e.revision()))
                    .contentType(MediaType.APPLICATION_JSON).body(new Ended(e.id(), e.revision(), e.deletedKeys()));
        }
        if (r instanceof WriteResult.LeaseNotFound nf) {
            return notFound(nf.id());
        }
        throw new IllegalStateException("unknown lease result " + r);
    }

    static long id(String text) {
        try {
            long id = Long.parseLong(text);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw BadRequestException.badRequest("bad-lease", "a lease id is a positive whole number (the id a grant returned), not '" + text + "'");
    }

    /** {@code {"ttl":"10s"}}, nothing else. */
    private static Duration ttl(HttpServletRequest req) throws IOException {
        if (req.getContentLengthLong() > 1024) {
            throw BadRequestException.badRequest("bad-lease", "a lease grant body is {\"ttl\":\"10s\"}, at most 1 KiB");
        }
        JsonNode body;
        try (InputStream in = req.getInputStream()) {
            byte[] bytes = in.readNBytes(1025);
            if (bytes.length > 1024) {
                throw BadRequestException.badRequest("bad-lease", "a lease grant body is {\"ttl\":\"10s\"}, at most 1 KiB");
            }
            body = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw BadRequestException.badRequest("bad-lease", "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject() || body.size() != 1 || !body.path("ttl").isString()) {
            throw BadRequestException.badRequest("bad-lease", "the body must be {\"ttl\":\"10s\"}: only 'ttl', a duration");
        }
        return DurationParam.parse(body.path("ttl").stringValue(), "ttl", MIN_TTL, MAX_TTL);
    }
}
