package io.raftkv.web;

import io.raftkv.node.OverloadedException;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.NotLeaderException;
import org.springframework.http.HttpStatus;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where a watch may start on this node without being behind what the client has already seen: a
 * linearizable read barrier. The leader confirms its leadership with a heartbeat round and applies
 * up to its read index; a follower asks the leader for that read index (ReadIndex forwarding,
 * dissertation §6.4) and applies up to it, so any node serves watches without a redirect.
 */
final class ReadPoint {
    private final RaftKvNode node;
    private final Duration timeout;

    ReadPoint(RaftKvNode node, Duration timeout) {
        this.node = node;
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
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                try {
                    node.readBarrier().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof OverloadedException o) {
                        throw new BadRequestException(HttpStatus.TOO_MANY_REQUESTS, "too-many-requests", o.getMessage());
                    }
                    // Leadership moved under the read: ask the new leader while time is left. No leader known, or
                    // this node stopped: nothing was read, and waiting here would not help.
                    if (!(e.getCause() instanceof NotLeaderException) || node.status().leader() == null
                            || System.nanoTime() >= deadline) {
                        throw unavailable();
                    }
                }
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
                + timeout.toMillis() + " ms with the leader that it has applied everything committed (no leader known, "
                + "leadership changed, or it is behind); retry, use another node, or pass consistency=stale");
    }
}
