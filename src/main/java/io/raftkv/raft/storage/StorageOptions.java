package io.raftkv.raft.storage;

/**
 * Tuning for the write-ahead log.
 *
 * @param segmentBytes size at which the log starts a new segment file. Large enough that segment
 *                     rolls (two extra fsyncs) are rare, small enough that compaction, which deletes
 *                     whole segments, frees space soon after a snapshot.
 * @param cacheEntries how many of the newest entries are kept in memory, so that a leader sending
 *                     to followers that are nearly caught up never reads the disk
 * @param cacheBytes   a byte bound on the same cache, so that large values do not blow the heap
 */
public record StorageOptions(long segmentBytes, int cacheEntries, long cacheBytes) {

    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;

    public StorageOptions {
        if (segmentBytes < 4096 || segmentBytes > (1L << 30)) {
            // Record offsets inside a segment are held as ints; 1 GiB keeps them far from overflow.
            throw new IllegalArgumentException("segmentBytes must be in [4 KiB, 1 GiB], got " + segmentBytes);
        }
        if (cacheEntries < 0 || cacheBytes < 0) {
            throw new IllegalArgumentException("negative cache size");
        }
    }

    public static StorageOptions defaults() {
        return new StorageOptions(DEFAULT_SEGMENT_BYTES, 8192, 16L << 20);
    }

    public StorageOptions withSegmentBytes(long bytes) {
        return new StorageOptions(bytes, cacheEntries, cacheBytes);
    }

    public StorageOptions withCache(int entries, long bytes) {
        return new StorageOptions(segmentBytes, entries, bytes);
    }
}
