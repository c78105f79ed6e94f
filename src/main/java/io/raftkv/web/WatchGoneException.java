package io.raftkv.web;

/** A watch asked to resume before the oldest revision in the history: answered 410 with where it may resume. */
final class WatchGoneException extends RuntimeException {
    private final long from;
    private final long oldestRevision;

    WatchGoneException(long from, long oldestRevision) {
        super(WatchEvents.goneDetail(from, oldestRevision), null, false, false);
        this.from = from;
        this.oldestRevision = oldestRevision;
    }

    long from() {
        return from;
    }

    long oldestRevision() {
        return oldestRevision;
    }
}
