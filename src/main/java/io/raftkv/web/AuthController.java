package io.raftkv.web;

import io.raftkv.kv.AuthCommand;
import io.raftkv.kv.AuthNames;
import io.raftkv.kv.AuthState;
import io.raftkv.kv.Role;
import io.raftkv.kv.WriteResult;
import io.raftkv.node.RaftKvNode;
import io.raftkv.security.BearerSecrets;
import io.raftkv.security.Callers;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code /auth/roles/{name}} and {@code /auth/tokens/{name}}: the replicated roles and tokens, managed
 * by the root token only. Writes go through the log on the leader; reads are linearizable like
 * {@code /kv} reads. A token's secret is made on the leader, shown once in the answer to its PUT, and
 * only its SHA-256 is replicated. PUT on an existing token rotates it: a new secret (the old one stops
 * working as each node applies the change) and the given roles. That also makes a retried PUT safe.
 */
@RestController
final class AuthController {
    private final RaftKvNode node;
    private final LeaderRouter router;

    AuthController(RaftKvNode node, LeaderRouter router) {
        this.node = node;
        this.router = router;
    }

    record PermissionView(String prefix, String access) {
    }

    record RoleView(String name, List<PermissionView> permissions) {
    }

    record Roles(List<RoleView> roles) {
    }

    record TokenView(String name, List<String> roles) {
    }

    record Tokens(List<TokenView> tokens) {
    }

    /** The one answer that shows a secret. */
    record IssuedToken(String name, List<String> roles, String token) {
    }

    // ---------------------------------------------------------------- roles

    @PutMapping("/auth/roles/{name}")
    CompletableFuture<ResponseEntity<Object>> putRole(HttpServletRequest req, @PathVariable String name) {
        Callers.requireRoot();
        Role role = AuthRequests.role(name(name, "role"), req);
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.write(new AuthCommand.PutRole(role)),
                r -> written(r, "role", name, view(role)));
    }

    @GetMapping("/auth/roles/{name}")
    CompletableFuture<ResponseEntity<Object>> getRole(HttpServletRequest req, @PathVariable String name) {
        Callers.requireRoot();
        String n = name(name, "role");
        return router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> node.stateMachine().auth().role(n)
                .map(r -> json(HttpStatus.OK, view(r)))
                .orElseGet(() -> notFound("role", n)));
    }

    @GetMapping("/auth/roles")
    CompletableFuture<ResponseEntity<Object>> roles(HttpServletRequest req) {
        Callers.requireRoot();
        return router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> json(HttpStatus.OK,
                new Roles(node.stateMachine().auth().roles().stream().map(AuthController::view).toList())));
    }

    @DeleteMapping("/auth/roles/{name}")
    CompletableFuture<ResponseEntity<Object>> deleteRole(HttpServletRequest req, @PathVariable String name) {
        Callers.requireRoot();
        String n = name(name, "role");
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.write(new AuthCommand.DeleteRole(n)),
                r -> deleted(r, "role", n));
    }

    // ---------------------------------------------------------------- tokens

    @PutMapping("/auth/tokens/{name}")
    CompletableFuture<ResponseEntity<Object>> putToken(HttpServletRequest req, @PathVariable String name) {
        Callers.requireRoot();
        String n = name(name, "token");
        List<String> roles = AuthRequests.tokenRoles(req);
        AtomicReference<String> secret = new AtomicReference<>();
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> {
            // Runs on the leader only (a follower redirects first); only the hash enters the log.
            String s = BearerSecrets.newSecret();
            secret.set(s);
            return node.write(new AuthCommand.PutToken(n, BearerSecrets.sha256(s), roles));
        }, r -> written(r, "token", n, new IssuedToken(n, roles, secret.get())));
    }

    @GetMapping("/auth/tokens/{name}")
    CompletableFuture<ResponseEntity<Object>> getToken(HttpServletRequest req, @PathVariable String name) {
        Callers.requireRoot();
        String n = name(name, "token");
        return router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> node.stateMachine().auth().token(n)
                .map(t -> json(HttpStatus.OK, view(t)))
                .orElseGet(() -> notFound("token", n)));
    }

    @GetMapping("/auth/tokens")
    CompletableFuture<ResponseEntity<Object>> tokens(HttpServletRequest req) {
        Callers.requireRoot();
        return router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> json(HttpStatus.OK,
                new Tokens(node.stateMachine().auth().tokens().stream().map(AuthController::view).toList())));
    }

    @DeleteMapping("/auth/tokens/{name}")
    CompletableFuture<ResponseEntity<Object>> deleteToken(HttpServletRequest req, @PathVariable String name) {
        Callers.requireRoot();
        String n = name(name, "token");
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.write(new AuthCommand.DeleteToken(n)),
                r -> deleted(r, "token", n));
    }

    // ---------------------------------------------------------------- answers

    private static String name(String name, String what) {
        if (!AuthNames.isValid(name)) {
            throw BadRequestException.badRequest("bad-name", "a " + what
                    + " name must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    private static ResponseEntity<Object> written(WriteResult r, String what, String name, Object body) {
        if (r instanceof WriteResult.Written w) {
            return json(w.created() ? HttpStatus.CREATED : HttpStatus.OK, body);
        }
        if (r instanceof WriteResult.Refused refused) {
            return Problems.of(HttpStatus.BAD_REQUEST, refused.reason().startsWith("there is no role") ? "unknown-role" : "auth-refused",
                    "the " + what + " '" + name + "' was not saved: " + refused.reason(), Map.of(what, name));
        }
        throw new IllegalStateException("unexpected result " + r + " for an auth write");
    }

    private static ResponseEntity<Object> deleted(WriteResult r, String what, String name) {
        if (r instanceof WriteResult.Deleted) {
            return ResponseEntity.noContent().build();
        }
        if (r instanceof WriteResult.NotFound) {
            return notFound(what, name);
        }
        throw new IllegalStateException("unexpected result " + r + " for an auth delete");
    }

    private static ResponseEntity<Object> notFound(String what, String name) {
        return Problems.of(HttpStatus.NOT_FOUND, "not-found", "there is no " + what + " '" + name + "'", Map.of(what, name));
    }

    private static ResponseEntity<Object> json(HttpStatus status, Object body) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(body);
    }

    private static RoleView view(Role r) {
        return new RoleView(r.name(), r.permissions().stream()
                .map(p -> new PermissionView(p.prefix(), p.access().wireName())).toList());
    }

    private static TokenView view(AuthState.StoredToken t) {
        return new TokenView(t.name(), t.roles());
    }
}
