package io.raftkv.node;

import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Saves a node's own snapshots on a thread of its own and reports back on the Raft thread, so the
 * Raft thread keeps sending heartbeats and appends while tens of megabytes are written and synced.
 * Safe beside the Raft thread because the store's {@link SnapshotStore#saveTaken} never replaces a
 * newer snapshot received meanwhile, and the driver compacts the log only after hearing back.
 */
final class BackgroundSnapshotSaver implements SnapshotSaver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundSnapshotSaver.class);

    private final SnapshotStore store;
    private final Consumer<Runnable> onRaftThread;
    private final NodeMetrics metrics;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "raftkv-snapshot-writer");
        t.setDaemon(true);
        return t;
    });

    /** @param onRaftThread runs a task on the thread that drives the node */
    BackgroundSnapshotSaver(SnapshotStore store, Consumer<Runnable> onRaftThread, NodeMetrics metrics) {
        this.store = store;
        this.onRaftThread = onRaftThread;
        this.metrics = metrics;
    }

    @Override
    public void save(Snapshot snapshot, Done done) {
        if (writer.isShutdown()) {
            return; // the node is stopping; the log still holds everything the snapshot covers
        }
        writer.execute(() -> {
            long start = System.nanoTime();
            RuntimeException failure = SnapshotSaver.saveTaken(store, snapshot);
            if (failure == null) {
                metrics.snapshotSaved(System.nanoTime() - start);
            }
            onRaftThread.accept(() -> done.saved(failure));
        });
    }

    /** Lets a save under way finish, so storage is not closed under it; a node stopping waits at most {@code wait}. */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    void close(Duration wait) {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("a snapshot was still being saved after {}; stopping without it (the log still holds what it covers)", wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
