package io.raftkv.jepsen;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Every operation of a run, in the order the clients finished them, on a clock that starts with the run. */
public final class History {
    private final long originNanos;
    private final List<Op> ops = new ArrayList<>();

    public History() {
        this(System.nanoTime());
    }

    public History(long originNanos) {
        this.originNanos = originNanos;
    }

    /** Nanoseconds since the run began. */
    public long now() {
        return System.nanoTime() - originNanos;
    }

    public synchronized void add(Op op) {
        ops.add(op);
    }

    /** A copy, ordered by invocation. */
    public synchronized List<Op> ops() {
        List<Op> copy = new ArrayList<>(ops);
        copy.sort(Comparator.comparingLong(Op::invokedAt));
        return copy;
    }
}
