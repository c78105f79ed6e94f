package io.raftkv.web;

import io.raftkv.node.NodeStatus;
import io.raftkv.node.OverloadedException;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.watch.WatchHub;
import org.springframework.http.HttpStatus;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where a watch may start on this node without being behind what the client has already seen. The
 * leader confirms its leadership and applies up to the read index (a linearizable read barrier). A
 * follower cannot run that barrier itself (the Raft core serves ReadIndex on the leader only), so it
 * applies up to the commit index it has heard of: at most one heartbeat behind the leader. A client
 * that needs more passes {@code from=} the revision it saw.
 */
final class ReadPoint {
    private final RaftKvNode node;
    private final WatchHub hub;
    private final Duration timeout;

    ReadPoint(RaftKvNode node, WatchHub hub, Duration timeout) {
        this.node = node;
        this.hub = hub;
        this.timeout = timeout;
    }

    /** Waits until this node may serve; {@code consistency=stale} does not wait. Blocks the calling thread at most {@code timeout}. */
    void reach(String consistency) {
        if ("stale".equals(consistency)) {
            return;
        }
        if (consistency != null && !consistency.equals("linearizable")) {
            throw BadRequestException.badRequest("bad-consistency",
                    "consistency must be 'linearizable' (the default) or 'stale', not '" + consistency + "'");
        }
        NodeStatus s = node.status();
        try {
            if (s.isLeader()) {
                try {
                    node.readBarrier().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof OverloadedException o) {
                        throw new BadRequestException(HttpStatus.TOO_MANY_REQUESTS, "too-many-requests", o.getMessage());
                    }
                    if (!(e.getCause() instanceof NotLeaderException)) {
                        throw unavailable();
                    }
                    s = node.status(); // leadership moved on: wait as a follower does
                }
            }
            if (s.leader() == null) {
                throw unavailable();
            }
            if (!hub.awaitApplied(s.commitIndex(), timeout.toNanos())) {
                throw unavailable();
            }
        } catch (TimeoutException e) {
            throw unavailable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable();
        }
    }

    private BadRequestException unavailable() {
        return new BadRequestException(HttpStatus.SERVICE_UNAVAILABLE, "not-caught-up", "this node could not confirm within "
                + timeout.toMillis() + " ms that it has applied everything committed (no leader known, or it is behind); "
                + "retry, use another node, or pass consistency=stale");
    }
}
