package io.raftkv.members;

import io.raftkv.raft.Membership;

import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The desired size as the log holds it ({@link Membership#desiredSize}, set by {@code PUT
 * /cluster/size}): every node, and so every future leader, reconciles toward the same size.
 */
public final class MembershipDesiredSize implements DesiredSize {
    private final Supplier<Membership> membership;

    public MembershipDesiredSize(Supplier<Membership> membership) {
        this.membership = membership;
    }

    @Override
    public OptionalInt get() {
        int size = membership.get().desiredSize();
        return size == 0 ? OptionalInt.empty() : OptionalInt.of(size);
    }
}
