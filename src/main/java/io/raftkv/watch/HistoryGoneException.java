package io.raftkv.watch;

/** The history no longer reaches back to a reader's cursor: the changes after it are not all known here. */
public final class HistoryGoneException extends Exception {
    private final long floor;

    HistoryGoneException(long floor) {
        super("the changes after the requested revision are no longer in the history; the oldest revision to resume from is "
                + floor, null, false, false);
        this.floor = floor;
    }

    /** The oldest revision a reader may resume from. */
    public long floor() {
        return floor;
    }
}
