/**
 * Watches: the window of recently applied changes that watchers read from and resume in.
 *
 * <p>{@link io.raftkv.watch.WatchHub} listens to the state machine on the apply thread and appends
 * each entry's changes to an {@link io.raftkv.watch.EventHistory} bounded by count, bytes and age,
 * and unparks one notifier thread that wakes the waiting watchers; nothing else happens on the apply
 * thread, so no watcher can slow it down (the history's short lock is all it shares with them;
 * {@code WatchFanOutBenchmark} measures it). Every watcher runs a
 * {@link io.raftkv.watch.WatchStream} on a thread of its own that reads the history after its
 * cursor and writes to its client: a slow client falls behind only itself, and once the window has
 * moved past its cursor it is told so (410 Gone, with the revision to resume from) and cut off.
 * A snapshot installed from the leader replaces the state without the changes that led to it: the
 * window then starts again at the snapshot's index.
 *
 * <p>May use {@code kv} only.
 */
package io.raftkv.watch;
