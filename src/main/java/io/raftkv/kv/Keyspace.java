package io.raftkv.kv;

import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The keys of one state, with the counters kept in step with them. Only the apply thread writes;
 * readers see each {@link KeyValue} whole because the records are immutable. A snapshot restore
 * builds a new Keyspace and swaps it in.
 */
final class Keyspace {
    final ConcurrentSkipListMap<String, KeyValue> map = new ConcurrentSkipListMap<>(Utf8.CODE_POINT_ORDER);
    volatile long keyCount;
    volatile long dataBytes;

    /** Apply thread only. Stores {@code next}, which replaces {@code previous} (null when the key is new). */
    void put(KeyValue previous, KeyValue next) {
        map.put(next.key(), next);
        if (previous == null) {
            keyCount = keyCount + 1;
            dataBytes = dataBytes + Utf8.encodedLength(next.key()) + next.value().length;
        } else {
            dataBytes = dataBytes + next.value().length - previous.value().length;
        }
    }

    /** Apply thread only. */
    void remove(KeyValue previous) {
        map.remove(previous.key());
        keyCount = keyCount - 1;
        dataBytes = dataBytes - Utf8.encodedLength(previous.key()) - previous.value().length;
    }
}
