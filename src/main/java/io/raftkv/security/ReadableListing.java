package io.raftkv.security;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Page;

import java.util.ArrayList;
import java.util.List;

/**
 * Lists only readable keys without scanning unreadable ones: the readable keys under a prefix are a
 * few contiguous ranges (one per readable prefix), visited in key order. Paging works as for a plain
 * listing: every readable key shows up exactly once, in order, whatever the page size.
 */
final class ReadableListing {
    private ReadableListing() {
    }

    /**
     * @param readable sorted in code point order, with no prefix covering another (a {@code TokenGrant}'s list)
     */
    static Page list(KvStateMachine data, List<String> readable, String prefix, String startAfter, int limit) {
        String q = prefix == null ? "" : prefix;
        List<String> ranges = new ArrayList<>();
        for (String p : readable) {
            if (q.startsWith(p)) {
                return data.list(q, startAfter, limit); // the whole requested prefix is readable
            }
            if (p.startsWith(q)) {
                ranges.add(p);
            }
        }
        // A prefix-free list sorted in code point order also orders the ranges it stands for.
        List<KeyValue> items = new ArrayList<>(Math.min(limit, 256));
        for (int i = 0; i < ranges.size(); i++) {
            Page page = data.list(ranges.get(i), startAfter, limit - items.size());
            items.addAll(page.items());
            if (page.nextStartAfter() != null) {
                return new Page(items, page.nextStartAfter());
            }
            if (items.size() == limit) {
                String last = items.get(limit - 1).key();
                for (int j = i + 1; j < ranges.size(); j++) {
                    if (!data.list(ranges.get(j), last, 1).items().isEmpty()) {
                        return new Page(items, last);
                    }
                }
                return new Page(items, null);
            }
        }
        return new Page(items, null);
    }
}
