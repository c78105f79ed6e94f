package io.raftkv.raft;

import java.util.Objects;

/** A state machine image covering the log up to {@code metadata.index()}. {@code data} is opaque to the core. */
public record Snapshot(SnapshotMetadata metadata, byte[] data) {
    public Snapshot {
        Objects.requireNonNull(metadata, "metadata");
        data = data == null ? new byte[0] : data;
    }

    public long index() {
        return metadata.index();
    }

    public long term() {
        return metadata.term();
    }

    @Override
    public String toString() {
        return "Snapshot(" + index() + "@" + term() + "," + data.length + "B," + metadata.membership().ids() + ")";
    }
}
