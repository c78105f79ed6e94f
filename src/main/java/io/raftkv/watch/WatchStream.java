package io.raftkv.watch;

import io.raftkv.kv.KvEvent;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One watcher: sends its client every applied change of the keys it watches after its cursor, in
 * revision order, with a bookmark when nothing was sent for a while; stops when the client leaves,
 * the hub closes, the history has moved past the cursor (then the client is told where to resume), or
 * the roles and tokens changed so that the client may no longer read what it watches (then it is told so).
 */
public final class WatchStream implements Runnable {

    /** Where the watcher writes; every method may block on a slow client, which delays only this watcher. */
    public interface Sink {
        /** The watched changes of the entry at {@code revision}: all of them, so a resume after it misses none. */
        void events(long revision, List<KvEvent> events) throws IOException;

        /** Nothing watched changed up to {@code revision}: a reconnect may resume from it. */
        void bookmark(long revision) throws IOException;

        /** The history no longer reaches back to {@code resumeRevision}; the oldest resumable revision is {@code oldestRevision}. */
        void gone(long resumeRevision, long oldestRevision) throws IOException;

        /** The caller may no longer read what it watches ({@code why}); nothing after {@code revision} was sent. */
        void forbidden(long revision, String why) throws IOException;

        /** The stream ended (any reason); release the connection. */
        void end();
    }

    /**
     * Whether the watcher may still read everything it watches, asked before anything is sent after the
     * roles or tokens changed: null while it may, else why not.
     */
    public interface Permission {
        String revoked();
    }

    private final WatchHub hub;
    private final Predicate<String> watched;
    private final Permission permission;
    private final long bookmarkNanos;
    private final Sink sink;
    private long cursor;

    /** @param from the revision the client has seen everything up to; the first change sent is after it */
    public WatchStream(WatchHub hub, Predicate<String> watched, Permission permission, long from, Duration bookmarkEvery, Sink sink) {
        this.hub = hub;
        this.watched = watched;
        this.permission = permission;
        this.cursor = from;
        this.bookmarkNanos = bookmarkEvery.toNanos();
        this.sink = sink;
    }

    @Override
    public void run() {
        try {
            long lastSent = hub.nanoTime();
            long authSeen = hub.authChanges();
            String why = permission.revoked();
            while (why == null && !hub.closed()) {
                long wait = Math.max(1, lastSent + bookmarkNanos - hub.nanoTime());
                List<EventHistory.Batch> batches = hub.await(cursor, wait, authSeen);
                // A change of the roles or tokens applied before any of these batches is counted by now.
                long authNow = hub.authChanges();
                if (authNow != authSeen) {
                    authSeen = authNow;
                    why = permission.revoked();
                    if (why != null) {
                        break;
                    }
                }
                for (EventHistory.Batch b : batches) {
                    List<KvEvent> mine = new ArrayList<>(1);
                    for (KvEvent e : b.events()) {
                        if (watched.test(e.key())) {
                            mine.add(e);
                        }
                    }
                    if (!mine.isEmpty()) {
                        sink.events(b.revision(), mine);
                        lastSent = hub.nanoTime();
                    }
                    cursor = b.revision();
                }
                if (hub.nanoTime() - lastSent >= bookmarkNanos && !hub.closed()) {
                    sink.bookmark(cursor);
                    lastSent = hub.nanoTime();
                }
            }
            if (why != null) {
                sink.forbidden(cursor, why);
            }
        } catch (HistoryGoneException g) {
            try {
                sink.gone(cursor, g.floor());
            } catch (IOException e) {
                // the client left as well
            }
        } catch (IOException e) {
            // the client left
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sink.end();
        }
    }
}
