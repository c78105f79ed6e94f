package io.raftkv.node;

/**
 * The bounds on client data and client work a node enforces (see {@link StoreQuota} and
 * {@link Backpressure}).
 *
 * @param storeQuotaBytes {@code raftkv.limits.max-store-size}
 */
public record NodeLimits(long storeQuotaBytes, Backpressure.Limits backpressure) {
    static final long MAX_DEFAULT_QUOTA = 2L << 30;
    static final long MAX_DEFAULT_PENDING_BYTES = 64L << 20;

    /** The defaults, for a JVM whose heap may grow to {@code maxHeapBytes}. */
    public static NodeLimits forHeap(long maxHeapBytes) {
        return new NodeLimits(defaultStoreQuota(maxHeapBytes), new Backpressure.Limits(4096,
                defaultPendingWriteBytes(maxHeapBytes), 5000, 8192));
    }

    /**
     * 2 GiB (etcd's default), or a fifth of the heap if that is less. The quota counts more than
     * the heap the state really uses (see {@code KvStateMachine.storedBytes}), and each stored byte
     * can be on the heap up to twice at once: the live state and, while the apply loop takes a
     * snapshot, its encoded chunks ({@link SnapshotBuffer}), which are streamed to the snapshot file
     * and let go. Snapshots on disk are read from their files, never kept on the heap
     * ({@code DurableSnapshotStore}); a follower installing one holds the old state and the new
     * state it reads from the file: twice again. Two fifths leave the rest of the heap for what does
     * not grow with the data: the JVM and Spring (about 20 MB live), the 16 MB log entry cache,
     * writes in flight (a sixteenth of the heap, each held about three times: request body, log
     * entry, peer messages), the watch history and request bodies being read. Measured on 128 MB
     * heaps flooded with 1 MB values (LimitsIT): never out of memory.
     */
    public static long defaultStoreQuota(long maxHeapBytes) {
        return Math.max(1, Math.min(MAX_DEFAULT_QUOTA, maxHeapBytes / 5));
    }

    /** 64 MB, or a sixteenth of the heap if that is less: see {@link #defaultStoreQuota}. */
    public static long defaultPendingWriteBytes(long maxHeapBytes) {
        return Math.max(1, Math.min(MAX_DEFAULT_PENDING_BYTES, maxHeapBytes / 16));
    }
}
