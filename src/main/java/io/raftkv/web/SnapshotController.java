package io.raftkv.web;

import io.raftkv.config.RaftKvProperties;
import io.raftkv.node.Backup;
import io.raftkv.node.RaftKvNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code GET /snapshot}: a consistent backup of the state machine, on the leader, as of a linearizable
 * read index (every write acknowledged before the request is in it), in the {@code node.BackupFormat}.
 * One at a time per node; the answer streams from a copy in the data directory, with its index, term
 * and SHA-256 in the headers. Root token only when authentication is on (see {@code security}).
 */
@RestController
final class SnapshotController {
    private static final Logger log = LoggerFactory.getLogger(SnapshotController.class);
    static final String INDEX = "X-Raftkv-Snapshot-Index";
    static final String TERM = "X-Raftkv-Snapshot-Term";
    static final String SHA256 = "X-Raftkv-Snapshot-Sha256";
    /** How long the apply thread may take to copy the state; a limit, so a stuck copy answers instead of hanging. */
    static final Duration COPY_WAIT = Duration.ofMinutes(10);

    private final RaftKvNode node;
    private final LeaderRouter router;
    private final Path dataDir;
    private final Duration routeWait;
    private final Semaphore oneAtATime = new Semaphore(1);

    SnapshotController(RaftKvNode node, LeaderRouter router, RaftKvProperties p) {
        this.node = node;
        this.router = router;
        this.dataDir = p.dataPath();
        this.routeWait = p.requests().leaderWait().plus(p.requests().timeout()).plusSeconds(1);
    }

    /**
     * Runs on the request thread from start to end (a backup can outlast any async timeout); one
     * thread at most, as the second concurrent request is refused at once.
     */
    @GetMapping("/snapshot")
    ResponseEntity<Object> snapshot(HttpServletRequest req, HttpServletResponse resp) throws IOException, InterruptedException {
        if (!oneAtATime.tryAcquire()) {
            return backupInProgress();
        }
        try {
            // The router answers null once this node leads and the read index is applied here;
            // anything else (a redirect to the leader, 503 during an election) is its answer.
            ResponseEntity<Object> elsewhere = router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, applied -> null)
                    .get(routeWait.toMillis(), TimeUnit.MILLISECONDS);
            if (elsewhere != null) {
                return elsewhere;
            }
            try (Backup backup = Backup.take(node, dataDir, COPY_WAIT)) {
                log.info("{}: backup at index {} term {} ({} bytes, sha256 {}) for {}", node.status().id(), backup.index(),
                        backup.term(), backup.length(), backup.sha256(), req.getRemoteAddr());
                resp.setStatus(HttpStatus.OK.value());
                resp.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
                resp.setContentLengthLong(backup.length());
                resp.setHeader(INDEX, Long.toString(backup.index()));
                resp.setHeader(TERM, Long.toString(backup.term()));
                resp.setHeader(SHA256, backup.sha256());
                resp.setHeader("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(backup.sha256Bytes()) + ":");
                resp.setHeader(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"raftkv-" + node.clusterId() + "-"
                        + backup.index() + ".backup\"");
                try {
                    backup.writeTo(resp.getOutputStream());
                } catch (IOException e) {
                    log.info("{}: the client of the backup at index {} went away: {}", node.status().id(), backup.index(), e.toString());
                }
            } catch (IOException e) {
                return Problems.unavailable("backup-failed", "the backup could not be taken: " + e.getMessage(),
                        Map.of("retryable", true));
            }
            return null; // answered above
        } catch (ExecutionException e) {
            throw new IllegalStateException("routing the backup request failed", e.getCause());
        } catch (TimeoutException e) {
            return Problems.unavailable("read-timeout", "the backup's read index could not be confirmed within "
                    + routeWait.toMillis() + " ms; nothing was changed, retrying is safe", Map.of("retryable", true));
        } finally {
            oneAtATime.release();
        }
    }

    private static ResponseEntity<Object> backupInProgress() {
        ProblemDetail p = Problems.detail(HttpStatus.TOO_MANY_REQUESTS, "too-many-requests",
                "this node is already streaming a backup; a node takes one at a time. Retry when it is done");
        p.setProperty("reason", "backup-in-progress");
        p.setProperty("retryable", true);
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS).header(HttpHeaders.RETRY_AFTER, "5")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }
}
