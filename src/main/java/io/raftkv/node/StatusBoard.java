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
        if (status.routable() || status.failed()) {
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
     * Completes with the status once requests can be routed (this node leads, or follows a leader it
     * heard from recently; at once if so now), or with the then current status after {@code wait}.
     */
    public CompletableFuture<NodeStatus> awaitLeader(Duration wait) {
        NodeStatus now = current;
        if (now.routable() || now.failed()) {
            return CompletableFuture.completedFuture(now);
        }
        CompletableFuture<NodeStatus> f = new CompletableFuture<>();
        synchronized (this) {
            leaderWaiters.add(f);
        }
        // Publish may have happened between the check and the registration.
        NodeStatus again = current;
        if (again.routable() || again.failed()) {
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
