package io.raftkv.members;

import java.util.OptionalInt;

/** The in-memory twin of {@link DesiredSize}: a size a test sets, as {@code PUT /cluster/size} does through the log. */
final class DesiredSizeTwin implements DesiredSize {
    private volatile int size; // 0: not set

    @Override
    public OptionalInt get() {
        int s = size;
        return s == 0 ? OptionalInt.empty() : OptionalInt.of(s);
    }

    void set(int size) {
        this.size = size;
    }
}
