package io.raftkv.web;

import io.raftkv.node.NodeStatus;
import io.raftkv.node.NodeUnavailableException;
import io.raftkv.node.OverloadedException;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.StatusBoard;
import io.raftkv.node.StoreFullException;
import io.raftkv.node.WriteNotAppliedException;
import io.raftkv.node.WriteOutcomeUnknownException;
import io.raftkv.raft.MembershipChangeException;
import io.raftkv.raft.NotLeaderException;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Gets a request to the leader. On the leader it runs the action; a follower that knows the leader
 * answers {@code 307} with the leader's client URL (same path and query), so {@code curl -L} and
 * generated clients just follow; during an election the request waits for a leader (rather than
 * failing fast and inviting a retry storm) and gets {@code 503} with {@code Retry-After} only if
 * none appears in time. A leader that refuses the request by a limit answers {@code 429} with
 * {@code Retry-After} or {@code 507}; those requests were never proposed.
 */
final class LeaderRouter {
    private static final java.util.concurrent.Executor SHORT_PAUSE =
            CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS);

    private final StatusBoard board;
    private final PeerDirectory directory;
    private final Duration leaderWait;
    private final Duration timeout;

    /** Only the node's published status and its directory: what routing decides on, and all a test must fake. */
    LeaderRouter(StatusBoard board, PeerDirectory directory, Duration leaderWait, Duration timeout) {
        this.board = board;
        this.directory = directory;
        this.leaderWait = leaderWait;
        this.timeout = timeout;
    }

    /** What kind of action is routed: a write whose outcome may become unknown, or a read that has no effect. */
    enum Kind { WRITE, READ }

    <T> CompletableFuture<ResponseEntity<Object>> onLeader(HttpServletRequest req, Kind kind,
                                                          Supplier<CompletableFuture<T>> action,
                                                          Function<T, ResponseEntity<Object>> onResult) {
        String pathAndQuery = req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
        long deadline = System.nanoTime() + leaderWait.toNanos();
        return attempt(pathAndQuery, kind, action, onResult, deadline);
    }

    private <T> CompletableFuture<ResponseEntity<Object>> attempt(String pathAndQuery, Kind kind,
                                                                 Supplier<CompletableFuture<T>> action,
                                                                 Function<T, ResponseEntity<Object>> onResult,
                                                                 long deadline) {
        NodeStatus s = board.current();
        if (s.failed()) {
            return CompletableFuture.completedFuture(failed(s.failure()));
        }
        if (s.isLeader()) {
            return action.get()
                    .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .thenApply(onResult)
                    .exceptionallyCompose(e -> onFailure(unwrap(e), pathAndQuery, kind, action, onResult, deadline));
        }
        Optional<String> leaderUrl = s.routable() ? directory.clientUrl(s.leader()) : Optional.empty();
        if (leaderUrl.isPresent()) {
            return CompletableFuture.completedFuture(redirect(leaderUrl.get(), pathAndQuery, s.leader()));
        }
        return waitForLeader(pathAndQuery, kind, action, onResult, deadline);
    }

    private <T> CompletableFuture<ResponseEntity<Object>> waitForLeader(String pathAndQuery, Kind kind,
                                                                       Supplier<CompletableFuture<T>> action,
                                                                       Function<T, ResponseEntity<Object>> onResult,
                                                                       long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.completedFuture(Problems.unavailable("no-leader",
                    "no leader was elected within " + leaderWait.toMillis() + " ms; an election may be running, or a majority of nodes is unreachable",
                    Map.of("retryable", true)));
        }
        // Waiters are woken on the Raft loop thread; continue elsewhere so routing never runs (or waits) there.
        return board.awaitLeader(Duration.ofNanos(left)).thenComposeAsync(st -> {
            NodeStatus now = board.current();
            if (now.routable() && !now.isLeader() && directory.clientUrl(now.leader()).isEmpty()) {
                // A leader whose client URL we have not learned yet: its first message will carry it.
                return CompletableFuture.supplyAsync(() -> null, SHORT_PAUSE)
                        .thenCompose(x -> waitForLeader(pathAndQuery, kind, action, onResult, deadline));
            }
            if (!now.routable()) {
                return waitForLeader(pathAndQuery, kind, action, onResult, deadline);
            }
            return attempt(pathAndQuery, kind, action, onResult, deadline);
        });
    }

    private <T> CompletableFuture<ResponseEntity<Object>> onFailure(Throwable e, String pathAndQuery, Kind kind,
                                                                   Supplier<CompletableFuture<T>> action,
                                                                   Function<T, ResponseEntity<Object>> onResult,
                                                                   long deadline) {
        if (e instanceof NotLeaderException) {
            // Leadership moved before the request reached the log: nothing happened, so route it again.
            return waitForLeader(pathAndQuery, kind, action, onResult, deadline);
        }
        ResponseEntity<Object> answer;
        if (e instanceof WriteOutcomeUnknownException u) {
            answer = outcomeUnknown(u.getMessage());
        } else if (e instanceof TimeoutException) {
            answer = kind == Kind.WRITE
                    ? outcomeUnknown("the write did not commit within " + timeout.toMillis() + " ms; it may still be applied")
                    : Problems.unavailable("read-timeout", "the read could not be confirmed within " + timeout.toMillis()
                    + " ms; nothing was changed, retrying is safe", Map.of("retryable", true));
        } else if (e instanceof WriteNotAppliedException n) {
            answer = Problems.unavailable("not-applied", n.getMessage() + "; retrying is safe",
                    Map.of("outcome", "not-applied", "retryable", true));
        } else if (e instanceof NodeUnavailableException u) {
            answer = failed(u.getMessage());
        } else if (e instanceof OverloadedException o) {
            answer = Problems.overloaded(o);
        } else if (e instanceof StoreFullException f) {
            answer = Problems.storeFull(f);
        } else if (e instanceof MembershipChangeException m) {
            answer = Problems.of(HttpStatus.CONFLICT, m.retryable() ? "membership-change-in-progress" : "invalid-membership-change",
                    m.getMessage() + (m.retryable() ? "; retry shortly" : ""), Map.of("retryable", m.retryable()));
        } else {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(answer);
    }

    private static ResponseEntity<Object> outcomeUnknown(String detail) {
        return Problems.unavailable("outcome-unknown", detail
                        + ". Retrying with the same Idempotency-Key is safe; without one the write may be applied twice.",
                Map.of("outcome", "unknown", "retryableWithIdempotencyKey", true));
    }

    private static ResponseEntity<Object> failed(String why) {
        return Problems.unavailable("node-failed", "this node cannot serve requests: " + why
                + "; use another node", Map.of("retryable", true));
    }

    static ResponseEntity<Object> redirect(String leaderUrl, String pathAndQuery, String leaderId) {
        return ResponseEntity.status(HttpStatus.TEMPORARY_REDIRECT)
                .header(HttpHeaders.LOCATION, leaderUrl + pathAndQuery)
                .header("X-Raftkv-Leader", leaderId)
                .build();
    }

    private static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
