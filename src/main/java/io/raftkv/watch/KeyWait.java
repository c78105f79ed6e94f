package io.raftkv.watch;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvEvent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A long poll: waits until one key changes after a revision, or a time passes. */
public final class KeyWait {

    /** How the wait ended. */
    public sealed interface Outcome {
    }

    /** The key was written after the revision; {@code kv} is its state now. */
    public record Changed(KeyValue kv) implements Outcome {
    }

    /** The key does not exist now, and was deleted after the revision (or the history no longer says when). */
    public record Deleted(long revision) implements Outcome {
    }

    /** Nothing happened to the key up to {@code revision} within the wait. */
    public record Unchanged(long revision) implements Outcome {
    }

    private KeyWait() {
    }

    public static Outcome await(WatchHub hub, String key, long after, Duration wait) throws InterruptedException {
        long deadline = hub.nanoTime() + wait.toNanos();
        Optional<Outcome> now = current(hub, key, after);
        if (now.isPresent()) {
            return now.get();
        }
        long cursor = after;
        while (true) {
            long left = deadline - hub.nanoTime();
            if (left <= 0 || hub.closed()) {
                return new Unchanged(cursor);
            }
            List<EventHistory.Batch> batches;
            try {
                batches = hub.await(cursor, left);
            } catch (HistoryGoneException g) {
                // The client's revision is older than the history: the state now says whether the key changed since.
                now = current(hub, key, after);
                if (now.isPresent()) {
                    return now.get();
                }
                cursor = g.floor();
                continue;
            }
            for (EventHistory.Batch b : batches) {
                for (KvEvent e : b.events()) {
                    if (e.key().equals(key)) {
                        KeyValue kv = hub.data().get(key).orElse(null);
                        return kv != null ? new Changed(kv) : new Deleted(e.type() == KvEvent.Type.DELETE ? b.revision() : cursor);
                    }
                }
                cursor = b.revision();
            }
        }
    }

    /** An answer from the state alone: the key was written after {@code after}. */
    private static Optional<Outcome> current(WatchHub hub, String key, long after) {
        KeyValue kv = hub.data().get(key).orElse(null);
        return kv != null && kv.modRevision() > after ? Optional.of(new Changed(kv)) : Optional.empty();
    }
}
