package io.raftkv.node;

import io.raftkv.raft.Entry;
import io.raftkv.raft.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * The apply thread: hands what the driver commits to a {@link DirectApplier} on a thread of its own,
 * so a slow apply or a snapshot never stalls the Raft thread. Tasks queued together are applied
 * together, then reads are released and a snapshot taken once.
 */
final class ApplyLoop<R> implements Applier, Runnable {
    private static final Logger log = LoggerFactory.getLogger(ApplyLoop.class);

    private record Waiter(long index, CompletableFuture<Void> future) {
    }

    private final BlockingQueue<Consumer<DirectApplier<R>>> queue = new LinkedBlockingQueue<>();
    /** Reads waiting for their index, kept apart so that those still queued when the thread ends are answered too. */
    private final Queue<Waiter> newWaiters = new ConcurrentLinkedQueue<>();
    private final DirectApplier<R> applier;
    private final Consumer<Throwable> onFatal;
    private volatile boolean running = true;
    private volatile boolean ended;

    /** @param onFatal told when applying fails; the node must stop, as its state can no longer be trusted */
    ApplyLoop(DirectApplier<R> applier, Consumer<Throwable> onFatal) {
        this.applier = applier;
        this.onFatal = onFatal;
    }

    @Override
    public void apply(List<Entry> entries) {
        queue.add(a -> a.applyQuietly(entries));
    }

    @Override
    public void restore(Snapshot snapshot) {
        queue.add(a -> a.restoreQuietly(snapshot));
    }

    @Override
    public void whenApplied(long index, CompletableFuture<Void> future) {
        if (applier.appliedIndex() >= index) {
            future.complete(null);
        } else {
            newWaiters.add(new Waiter(index, future));
            queue.add(a -> { });
            if (ended) {
                failNewWaiters();
            }
        }
    }

    @Override
    public long appliedIndex() {
        return applier.appliedIndex();
    }

    /**
     * Captures the applied state on the apply thread, between two batches, where it holds still;
     * completes with it and where it stands in the log. The caller writes it out on its own thread
     * ({@link io.raftkv.raft.SnapshotData#writeTo}): applying waits only for the capture.
     */
    CompletableFuture<Snapshot> captureAppliedState() {
        CompletableFuture<Snapshot> captured = new CompletableFuture<>();
        queue.add(a -> {
            try {
                captured.complete(a.captureAppliedState());
            } catch (IOException | RuntimeException e) {
                // Only the capture failed; the state itself is untouched.
                captured.completeExceptionally(e);
            }
        });
        if (ended) {
            captured.completeExceptionally(stoppedApplying());
        }
        return captured;
    }

    void stop() {
        running = false;
        queue.add(a -> { });
    }

    @Override
    public void run() {
        try {
            while (running) {
                queue.take().accept(applier);
                Consumer<DirectApplier<R>> more;
                while ((more = queue.poll()) != null) {
                    more.accept(applier);
                }
                for (Waiter w; (w = newWaiters.poll()) != null; ) {
                    applier.whenApplied(w.index(), w.future());
                }
                applier.settle();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            log.error("the apply loop failed; this node stops serving", t);
            onFatal.accept(t);
        }
        // Reads still waiting will never see their index applied here: they had no effect, so "unavailable" is true.
        ended = true;
        failNewWaiters();
        applier.failWaiters(stoppedApplying());
    }

    private void failNewWaiters() {
        for (Waiter w; (w = newWaiters.poll()) != null; ) {
            w.future().completeExceptionally(stoppedApplying());
        }
    }

    private static NodeUnavailableException stoppedApplying() {
        return new NodeUnavailableException("this node stopped applying before the read could be served", null);
    }
}
