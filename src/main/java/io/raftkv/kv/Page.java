package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/**
 * One page of a prefix listing.
 *
 * @param items          the keys in code point (= UTF-8 byte) order
 * @param nextStartAfter pass this as {@code startAfter} to get the next page; null when there are no more keys
 */
public record Page(List<KeyValue> items, String nextStartAfter) {
    public Page {
        items = List.copyOf(Objects.requireNonNull(items, "items"));
    }
}
