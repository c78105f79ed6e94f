package io.raftkv.web;

import io.raftkv.config.RaftKvProperties;
import io.raftkv.kv.KeyValue;
import io.raftkv.node.RaftKvNode;
import io.raftkv.security.Callers;
import io.raftkv.watch.KeyWait;
import io.raftkv.watch.WatchHub;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /kv/{key}?wait=30s&after=REV}: a long poll for clients without a streaming HTTP client.
 * Answers like a GET as soon as the key's modification revision is above {@code REV} (404 if it was
 * deleted after it), or {@code 304} once {@code wait} passes. Like a read it goes to the leader
 * (linearizable) unless {@code consistency=stale}.
 */
@RestController
final class LongPollController {
    static final Duration MAX_WAIT = Duration.ofMinutes(5);

    private final RaftKvNode node;
    private final WatchHub hub;
    private final LeaderRouter router;
    private final RaftKvProperties props;

    LongPollController(RaftKvNode node, WatchHub hub, LeaderRouter router, RaftKvProperties props) {
        this.node = node;
        this.hub = hub;
        this.router = router;
        this.props = props;
    }

    @GetMapping(value = "/kv/**", params = "wait")
    DeferredResult<ResponseEntity<Object>> poll(HttpServletRequest req, @RequestParam("wait") String waitParam,
                                               @RequestParam(value = "after", required = false) String afterParam,
                                               @RequestParam(value = "consistency", required = false) String consistency) {
        String key = KeyPath.key(req.getRequestURI(), req.getContextPath(), props.limits().maxKeySize().toBytes());
        Callers.requireRead(key);
        Duration wait = DurationParam.parse(waitParam, "wait", Duration.ZERO, MAX_WAIT);
        long after = after(afterParam);
        boolean stale = "stale".equals(consistency);
        if (consistency != null && !stale && !consistency.equals("linearizable")) {
            throw BadRequestException.badRequest("bad-consistency",
                    "consistency must be 'linearizable' (the default) or 'stale', not '" + consistency + "'");
        }
        // Room for finding the leader and the read barrier on top of the wait itself.
        Duration limit = wait.plus(props.requests().leaderWait()).plus(props.requests().timeout()).plusSeconds(5);
        DeferredResult<ResponseEntity<Object>> answer = new DeferredResult<>(limit.toMillis());
        CompletableFuture<ResponseEntity<Object>> routed = stale ? CompletableFuture.completedFuture(null)
                : router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> null);
        routed.thenCompose(r -> r != null ? CompletableFuture.completedFuture(r) : poll(key, after, wait))
                .whenComplete((r, e) -> {
                    if (e != null) {
                        answer.setErrorResult(e);
                    } else {
                        answer.setResult(r);
                    }
                });
        return answer;
    }

    private CompletableFuture<ResponseEntity<Object>> poll(String key, long after, Duration wait) {
        CompletableFuture<ResponseEntity<Object>> f = new CompletableFuture<>();
        boolean started = hub.start(() -> {
            try {
                f.complete(answer(key, KeyWait.await(hub, key, after, wait)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                f.complete(Problems.unavailable("shutting-down", "this node is stopping; retry at another node", Map.of("retryable", true)));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        if (!started) {
            f.complete(Problems.of(HttpStatus.TOO_MANY_REQUESTS, "too-many-watchers",
                    "this node already serves as many watches and long polls as raftkv.watch.max-watchers allows; retry later"));
        }
        return f;
    }

    private static ResponseEntity<Object> answer(String key, KeyWait.Outcome o) {
        if (o instanceof KeyWait.Changed c) {
            KeyValue kv = c.kv();
            return ResponseEntity.ok()
                    .eTag(Conditions.etag(kv.modRevision()))
                    .header(KvController.REVISION_HEADER, Long.toString(kv.modRevision()))
                    .header("X-Raftkv-Create-Revision", Long.toString(kv.createRevision()))
                    .header("X-Raftkv-Version", Long.toString(kv.version()))
                    .contentType(MediaType.parseMediaType(kv.contentType() == null
                            ? MediaType.APPLICATION_OCTET_STREAM_VALUE : kv.contentType()))
                    .body(kv.value());
        }
        if (o instanceof KeyWait.Deleted d) {
            ResponseEntity<Object> p = Problems.of(HttpStatus.NOT_FOUND, "not-found", "the key '" + key
                    + "' was deleted after the revision waited from", Map.of("key", key, "revision", d.revision()));
            return ResponseEntity.status(p.getStatusCode()).headers(p.getHeaders())
                    .header(KvController.REVISION_HEADER, Long.toString(d.revision())).body(p.getBody());
        }
        long revision = ((KeyWait.Unchanged) o).revision();
        return ResponseEntity.status(HttpStatus.NOT_MODIFIED).header(KvController.REVISION_HEADER, Long.toString(revision)).build();
    }

    private static long after(String text) {
        if (text == null) {
            throw BadRequestException.badRequest("bad-revision", "a long poll needs 'after': the revision the client has (0 to wait for the key to appear)");
        }
        try {
            long r = Long.parseLong(text);
            if (r >= 0) {
                return r;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw BadRequestException.badRequest("bad-revision", "after must be a revision (a whole number of 0 or more), not '" + text + "'");
    }
}
