package io.raftkv.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Holds the latest {@link NodeStatus} and wakes requests that wait for a leader to be known. */
public final class StatusBoard {
    private volatile NodeStatus current;
    private final List<CompletableFuture<NodeStatus>> leaderWaiters = new ArrayList<>();
    private final List<Consumer<NodeStatus>> listeners = new ArrayList<>();

    public StatusBoard(NodeStatus initial) {
        this.current = initial;
    }

    public NodeStatus current() {
        return current;
    }

    public void publish(NodeStatus status) {
        NodeStatus before = current;
        current = status;
        if (status.leader() != null || status.failed()) {
            List<CompletableFuture<NodeStatus>> waiting;
            synchronized (this) {
                waiting = new ArrayList<>(leaderWaiters);
                leaderWaiters.clear();
            }
            waiting.forEach(w -> w.complete(status));
        }
        if (!status.equals(before)) {
            for (Consumer<NodeStatus> l : listeners) {
                l.accept(status);
            }
        }
    }

    /** Registers a callback for every change; only during start-up, before the loop runs. */
    public void onChange(Consumer<NodeStatus> listener) {
        listeners.add(listener);
    }

    /**
     * Completes with the status once a leader is known (at once if one is), or with the then current
     * status (possibly still without a leader) after {@code wait}.
     */
    public CompletableFuture<NodeStatus> awaitLeader(Duration wait) {
        NodeStatus now = current;
        if (now.leader() != null || now.failed()) {
            return CompletableFuture.completedFuture(now);
        }
        CompletableFuture<NodeStatus> f = new CompletableFuture<>();
        synchronized (this) {
            leaderWaiters.add(f);
        }
        // Publish may have happened between the check and the registration.
        NodeStatus again = current;
        if (again.leader() != null || again.failed()) {
            f.complete(again);
        }
        return f.completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(s -> s == null ? current : s)
                .whenComplete((s, e) -> {
                    synchronized (this) {
                        leaderWaiters.remove(f);
                    }
                });
    }
}
