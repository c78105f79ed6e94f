package io.raftkv.node;

/** Headers of a {@code POST /raft/snapshot} chunk; the body is the chunk's bytes of the snapshot file. */
public final class SnapshotHeaders {
    public static final String TO = "X-Raftkv-To";
    public static final String TERM = "X-Raftkv-Term";
    public static final String INDEX = "X-Raftkv-Snapshot-Index";
    public static final String SNAPSHOT_TERM = "X-Raftkv-Snapshot-Term";
    public static final String OFFSET = "X-Raftkv-Offset";
    public static final String LAST = "X-Raftkv-Last";

    private SnapshotHeaders() {
    }
}
