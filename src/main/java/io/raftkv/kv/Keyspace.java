package io.raftkv.kv;

import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The keys of one state, with the counters kept in step with them. Only the apply thread writes;
 * readers see each {@link KeyValue} whole because the records are immutable. A snapshot restore
 * builds a new Keyspace and swaps it in.
 */
final class Keyspace {
    /**
     * Heap bytes a stored key costs beyond its key, value and content type bytes, rounded up: the
     * {@link KeyValue} (~48), the key String and its array headers (~40), the value array header (16),
     * the content type String (~40), the skip list node and its share of index nodes (~32) and object
     * alignment (~35). Counting 256 keeps {@link #accountedBytes} above the real heap cost.
     */
    static final long PER_KEY_OVERHEAD = 256;

    final ConcurrentSkipListMap<String, KeyValue> map = new ConcurrentSkipListMap<>(Utf8.CODE_POINT_ORDER);
    volatile long keyCount;
    volatile long dataBytes;
    /** What the store quota counts: every key's {@link #cost}. */
    volatile long accountedBytes;

    /**
     * What a key costs against the quota. UTF-8 lengths bound the bytes a Java String of the same text
     * holds (one byte per Latin-1 character where UTF-8 takes one or two, two per other BMP character
     * where UTF-8 takes two or three, four per surrogate pair where UTF-8 takes four).
     */
    static long cost(String key, int valueLength, String contentType) {
        return PER_KEY_OVERHEAD + Utf8.encodedLength(key) + valueLength
                + (contentType == null ? 0 : Utf8.encodedLength(contentType));
    }

    private static long cost(KeyValue kv) {
        return cost(kv.key(), kv.value().length, kv.contentType());
    }

    /** Apply thread only. Stores {@code next}, which replaces {@code previous} (null when the key is new). */
    void put(KeyValue previous, KeyValue next) {
        map.put(next.key(), next);
        if (previous == null) {
            keyCount = keyCount + 1;
            dataBytes = dataBytes + Utf8.encodedLength(next.key()) + next.value().length;
            accountedBytes = accountedBytes + cost(next);
        } else {
            dataBytes = dataBytes + next.value().length - previous.value().length;
            accountedBytes = accountedBytes + cost(next) - cost(previous);
        }
    }

    /** Apply thread only. */
    void remove(KeyValue previous) {
        map.remove(previous.key());
        keyCount = keyCount - 1;
        dataBytes = dataBytes - Utf8.encodedLength(previous.key()) - previous.value().length;
        accountedBytes = accountedBytes - cost(previous);
    }
}
