package io.raftkv.raft;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/** A state machine image covering the log up to {@code metadata.index()}. Its bytes are opaque to the core. */
public final class Snapshot {
    private final SnapshotMetadata metadata;
    private final SnapshotData data;

    public Snapshot(SnapshotMetadata metadata, SnapshotData data) {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.data = Objects.requireNonNull(data, "data");
    }

    public Snapshot(SnapshotMetadata metadata, byte[] data) {
        this(metadata, SnapshotData.of(data == null ? new byte[0] : data));
    }

    public SnapshotMetadata metadata() {
        return metadata;
    }

    public long index() {
        return metadata.index();
    }

    public long term() {
        return metadata.term();
    }

    /** The bytes, to stream: a node's snapshot is read from its file, not kept on the heap. */
    public SnapshotData content() {
        return data;
    }

    /**
     * All the bytes in one new array: for the simulator and tests, which keep snapshots small. A
     * node streams them instead ({@link #content}).
     */
    public byte[] data() {
        if (data.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(this + " does not fit in one array");
        }
        try (InputStream in = data.open()) {
            byte[] all = in.readNBytes((int) data.size());
            if (all.length != data.size()) {
                throw new IOException("read " + all.length + " of " + data.size() + " bytes");
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + this, e);
        }
    }

    @Override
    public String toString() {
        return "Snapshot(" + index() + "@" + term() + "," + data.size() + "B," + metadata.membership().ids() + ")";
    }
}
