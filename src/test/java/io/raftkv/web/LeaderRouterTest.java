package io.raftkv.web;

import io.raftkv.node.NodeStatus;
import io.raftkv.node.NodeUnavailableException;
import io.raftkv.node.OverloadedException;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.StatusBoard;
import io.raftkv.node.StoreFullException;
import io.raftkv.node.WriteNotAppliedException;
import io.raftkv.node.WriteOutcomeUnknownException;
import io.raftkv.raft.Membership;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Role;
import org.junit.jupiter.api.Test;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router's decisions, on a status board set by hand (no node, no threads of ours), against the
 * contract in DESIGN.md: a follower that knows a live leader answers 307 with {@code Location} = the
 * leader's client URL plus the same path and query; during an election the request waits, then
 * gets 503 with {@code Retry-After}; the leader serves; a write whose fate is not known says so.
 */
class LeaderRouterTest {
    private static final Membership THREE = new Membership(List.of(new Peer("n1", "http://p1:7080"),
            new Peer("n2", "http://p2:7080"), new Peer("n3", "http://p3:7080")));

    private final StatusBoard board = new StatusBoard(status(Role.FOLLOWER, null, false, null));
    private final PeerDirectory directory = new PeerDirectory("n1", "http://c1:8080", THREE);
    private final AtomicInteger actions = new AtomicInteger();

    private static NodeStatus status(Role role, String leader, boolean heard, String failure) {
        return new NodeStatus("n1", role, 3, leader, heard, 10, 10, 10, 1, 10, THREE, failure);
    }

    private LeaderRouter router(Duration leaderWait) {
        return new LeaderRouter(board, directory, leaderWait, Duration.ofMillis(200));
    }

    private ResponseEntity<Object> route(LeaderRouter.Kind kind, CompletableFuture<String> result) throws Exception {
        MockHttpServletRequest req = new MockHttpServletRequest("PUT", "/kv/a%2Fb");
        req.setQueryString("consistency=linearizable");
        return router(Duration.ofMillis(300)).onLeader(req, kind, () -> {
            actions.incrementAndGet();
            return result;
        }, r -> ResponseEntity.ok(r)).get(5, TimeUnit.SECONDS);
    }

    private static ProblemDetail problem(ResponseEntity<Object> answer, int status, String slug) {
        assertThat(answer.getStatusCode().value()).isEqualTo(status);
        ProblemDetail p = (ProblemDetail) answer.getBody();
        assertThat(p.getType().toString()).isEqualTo(Problems.TYPE_BASE + slug);
        assertThat(p.getDetail()).isNotBlank();
        return p;
    }

    @Test
    void theLeaderServesTheRequest() throws Exception {
        board.publish(status(Role.LEADER, "n1", true, null));
        ResponseEntity<Object> answer = route(LeaderRouter.Kind.WRITE, CompletableFuture.completedFuture("done"));
        assertThat(answer.getStatusCode().value()).isEqualTo(200);
        assertThat(answer.getBody()).isEqualTo("done");
        assertThat(actions).hasValue(1);
    }

    @Test
    void aFollowerOfALiveLeaderRedirectsWithTheSamePathAndQuery() throws Exception {
        directory.learned("n2", "http://c2:8080/");
        board.publish(status(Role.FOLLOWER, "n2", true, null));
        ResponseEntity<Object> answer = route(LeaderRouter.Kind.WRITE, new CompletableFuture<>());
        assertThat(answer.getStatusCode().value()).isEqualTo(307);
        assertThat(answer.getHeaders().getFirst("Location")).isEqualTo("http://c2:8080/kv/a%2Fb?consistency=linearizable");
        assertThat(answer.getHeaders().getFirst("X-Raftkv-Leader")).isEqualTo("n2");
        assertThat(actions).as("a follower runs nothing itself").hasValue(0);
    }

    @Test
    void aLeaderNotHeardFromRecentlyGetsNoRedirect() throws Exception {
        // A redirect to a leader that may be dead sends the client into a loop of failing requests.
        directory.learned("n2", "http://c2:8080");
        board.publish(status(Role.FOLLOWER, "n2", false, null));
        problem(route(LeaderRouter.Kind.READ, new CompletableFuture<>()), 503, "no-leader");
    }

    @Test
    void withoutALeaderTheRequestWaitsThen503WithRetryAfter() throws Exception {
        long start = System.nanoTime();
        ResponseEntity<Object> answer = route(LeaderRouter.Kind.WRITE, new CompletableFuture<>());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("it waited for an election").isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(problem(answer, 503, "no-leader").getProperties()).containsEntry("retryable", true);
        assertThat(answer.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(actions).hasValue(0);
    }

    @Test
    void aLeaderElectedWhileWaitingServesTheRequest() throws Exception {
        MockHttpServletRequest req = new MockHttpServletRequest("GET", "/kv/a");
        CompletableFuture<ResponseEntity<Object>> answer = router(Duration.ofSeconds(5)).onLeader(req, LeaderRouter.Kind.READ,
                () -> CompletableFuture.completedFuture("v"), r -> ResponseEntity.ok(r));
        assertThat(answer).isNotDone();
        board.publish(status(Role.LEADER, "n1", true, null));
        assertThat(answer.get(5, TimeUnit.SECONDS).getBody()).isEqualTo("v");
    }

    @Test
    void aFailedNodeSends503AndRunsNothing() throws Exception {
        board.publish(status(Role.LEADER, "n1", true, "the disk failed"));
        ProblemDetail p = problem(route(LeaderRouter.Kind.WRITE, new CompletableFuture<>()), 503, "node-failed");
        assertThat(p.getDetail()).contains("the disk failed");
        assertThat(actions).hasValue(0);
    }

    @Test
    void aWriteThatTimesOutIsOutcomeUnknownAndAReadThatTimesOutIsSafeToRetry() throws Exception {
        board.publish(status(Role.LEADER, "n1", true, null));
        assertThat(problem(route(LeaderRouter.Kind.WRITE, new CompletableFuture<>()), 503, "outcome-unknown").getProperties())
                .containsEntry("outcome", "unknown");
        assertThat(problem(route(LeaderRouter.Kind.READ, new CompletableFuture<>()), 503, "read-timeout").getProperties())
                .containsEntry("retryable", true);
    }

    @Test
    void theNodesVerdictOnAWriteReachesTheClient() throws Exception {
        board.publish(status(Role.LEADER, "n1", true, null));
        assertThat(problem(route(LeaderRouter.Kind.WRITE, CompletableFuture.failedFuture(
                new WriteOutcomeUnknownException("leadership lost"))), 503, "outcome-unknown").getProperties())
                .containsEntry("outcome", "unknown");
        assertThat(problem(route(LeaderRouter.Kind.WRITE, CompletableFuture.failedFuture(
                new WriteNotAppliedException("leadership lost before commit"))), 503, "not-applied").getProperties())
                .containsEntry("outcome", "not-applied");
    }

    @Test
    void aWriteTheLimitsRefuseWasNeverProposed() throws Exception {
        board.publish(status(Role.LEADER, "n1", true, null));
        ResponseEntity<Object> busy = route(LeaderRouter.Kind.WRITE, CompletableFuture.failedFuture(
                new OverloadedException("pending-writes", "too many writes are pending", 3)));
        assertThat(problem(busy, 429, "too-many-requests").getProperties()).containsEntry("outcome", "not-proposed");
        assertThat(busy.getHeaders().getFirst("Retry-After")).isEqualTo("3");
        assertThat(problem(route(LeaderRouter.Kind.WRITE, CompletableFuture.failedFuture(new StoreFullException(90, 100, 20))),
                507, "store-full").getProperties()).containsEntry("outcome", "not-proposed").containsEntry("quotaBytes", 100L);
        assertThat(problem(route(LeaderRouter.Kind.WRITE, CompletableFuture.failedFuture(
                new NodeUnavailableException("stopping", null))), 503, "node-failed").getProperties()).containsEntry("retryable", true);
    }

    @Test
    void aWriteRefusedAsNotLeaderIsRoutedAgain() throws Exception {
        // Nothing reached the log, so the router may send it on: here to the new leader.
        board.publish(status(Role.LEADER, "n1", true, null));
        directory.learned("n3", "http://c3:8080");
        MockHttpServletRequest req = new MockHttpServletRequest("DELETE", "/kv/a");
        ResponseEntity<Object> answer = router(Duration.ofSeconds(5)).onLeader(req, LeaderRouter.Kind.WRITE, () -> {
            board.publish(status(Role.FOLLOWER, "n3", true, null));
            return CompletableFuture.<String>failedFuture(new NotLeaderException("n3", "stepped down"));
        }, r -> ResponseEntity.ok(r)).get(5, TimeUnit.SECONDS);
        assertThat(answer.getStatusCode().value()).isEqualTo(307);
        assertThat(answer.getHeaders().getFirst("Location")).isEqualTo("http://c3:8080/kv/a");
    }
}
