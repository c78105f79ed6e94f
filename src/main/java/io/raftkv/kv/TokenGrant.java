package io.raftkv.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * What one token may do, flattened from its roles when the auth state changes, so a request costs
 * only a prefix scan over a few strings. Each prefix list is sorted in code point order and has no
 * prefix that another of its prefixes already covers.
 */
public record TokenGrant(String tokenName, List<String> readPrefixes, List<String> writePrefixes) {
    public TokenGrant {
        readPrefixes = List.copyOf(readPrefixes);
        writePrefixes = List.copyOf(writePrefixes);
    }

    public boolean canRead(String key) {
        return covered(readPrefixes, key);
    }

    public boolean canWrite(String key) {
        return covered(writePrefixes, key);
    }

    /** Whether every key is readable (a plain listing needs no filter). */
    public boolean readsEverything() {
        return readPrefixes.size() == 1 && readPrefixes.get(0).isEmpty();
    }

    private static boolean covered(List<String> prefixes, String key) {
        for (int i = 0, n = prefixes.size(); i < n; i++) {
            if (key.startsWith(prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Sorted, without prefixes covered by a shorter one in the same list. */
    static List<String> minimal(List<String> prefixes) {
        List<String> sorted = new ArrayList<>(prefixes);
        sorted.sort(Utf8.CODE_POINT_ORDER);
        List<String> out = new ArrayList<>();
        for (String p : sorted) {
            // A covering prefix sorts right before everything it covers, so only the last kept one can cover p.
            if (out.isEmpty() || !p.startsWith(out.get(out.size() - 1))) {
                out.add(p);
            }
        }
        return out;
    }
}
