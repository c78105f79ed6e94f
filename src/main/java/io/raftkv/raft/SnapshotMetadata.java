package io.raftkv.raft;

import java.util.Objects;

/** Where a snapshot sits in the log: the last entry it includes, that entry's term, and the membership then. */
public record SnapshotMetadata(long index, long term, Membership membership) {
    public SnapshotMetadata {
        Objects.requireNonNull(membership, "membership");
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("negative snapshot index or term");
        }
    }
}
