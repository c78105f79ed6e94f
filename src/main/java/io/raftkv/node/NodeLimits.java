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
     * 2 GiB (etcd's default), or a quarter of the heap if that is less. The quota counts more than
     * the heap the state really uses (see {@code KvStateMachine.storedBytes}), and each stored byte
     * can be on the heap up to twice at once: a follower installing a snapshot holds the old state
     * and the new state it reads from the file. Taking a snapshot copies nothing: the writer thread
     * encodes it to the file from references to the immutable values ({@link CapturedState}), and
     * snapshots on disk are read from their files, never kept on the heap ({@code DurableSnapshotStore}).
     * That half leaves the rest of the heap for what does
     * not grow with the data: the JVM and Spring (about 20 MB live), the 16 MB log entry cache,
     * writes in flight (a thirty-second of the heap, each held about three times: request body, log
     * entry, peer messages), the watch history (a sixteenth) and request bodies being read. Measured on 128 MB
     * heaps flooded with 1 MB values (LimitsIT): the live heap peaked at 66 to 94% of the heap (63 to
     * 82% with a fifth and a sixteenth), never out of memory. A heap that small is mostly the fixed
     * part; the larger the heap, the more of it is free.
     */
    public static long defaultStoreQuota(long maxHeapBytes) {
        return Math.max(1, Math.min(MAX_DEFAULT_QUOTA, maxHeapBytes / 4));
    }

    /**
     * 64 MB, or a thirty-second of the heap if that is less: see {@link #defaultStoreQuota}. At 300 MB
     * of heap that is still 150 writes of 64 KiB in flight, more than a leader commits in a batch.
     */
    public static long defaultPendingWriteBytes(long maxHeapBytes) {
        return Math.max(1, Math.min(MAX_DEFAULT_PENDING_BYTES, maxHeapBytes / 32));
    }
}
