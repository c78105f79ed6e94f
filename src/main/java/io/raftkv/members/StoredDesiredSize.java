package io.raftkv.members;

import java.util.OptionalInt;

/**
 * The desired size as the replicated state holds it: {@code PUT /cluster/size} proposes the value
 * through the log, and whoever applies committed entries (or restores a snapshot) calls
 * {@link #apply}. So every node, and so every future leader, reconciles toward the same size.
 */
public final class StoredDesiredSize implements DesiredSize {
    private volatile int size; // 0: not set

    @Override
    public OptionalInt get() {
        int s = size;
        return s == 0 ? OptionalInt.empty() : OptionalInt.of(s);
    }

    /** A committed size; {@link DesiredSize#check} it before proposing, so the log holds no bad value. */
    public void apply(int committedSize) {
        size = DesiredSize.check(committedSize);
    }
}
