package io.raftkv.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check that a cluster restored from a backup at {@code index} serves exactly the writes its
 * clients saw acknowledged at or before that index: per key, the newest such write, with its
 * revision; no key whose acknowledged writes all came later; nothing else.
 */
final class RestoredState {

    /** A write as its client saw it; {@code revision} 0 when its outcome is unknown (no 2xx answer). */
    record Write(String key, String value, long revision, long startNanos, long answeredNanos) {
    }

    /** What the restored cluster serves for a key. */
    record Served(String value, long modRevision) {
    }

    private RestoredState() {
    }

    /**
     * A write with an unknown outcome may explain a served value; acknowledged writes are held to
     * their revision.
     */
    static void assertServesExactlyTheWritesUpTo(long index, List<Write> writes, Map<String, Served> served) {
        Map<String, Write> expected = new HashMap<>();
        for (Write w : writes) {
            if (w.revision() > 0 && w.revision() <= index) {
                expected.merge(w.key(), w, (a, b) -> a.revision() > b.revision() ? a : b);
            }
        }
        assertThat(expected).as("the backup holds acknowledged writes").isNotEmpty();
        Map<String, List<Write>> unknown = new HashMap<>();
        writes.stream().filter(w -> w.revision() == 0).forEach(w -> unknown.computeIfAbsent(w.key(), k -> new ArrayList<>()).add(w));
        for (Map.Entry<String, Served> e : served.entrySet()) {
            String key = e.getKey();
            Served s = e.getValue();
            assertThat(s.modRevision()).as("%s is from at or before the backup's index", key).isLessThanOrEqualTo(index);
            boolean explainedByUnknown = unknown.getOrDefault(key, List.of()).stream().anyMatch(u -> u.value().equals(s.value()));
            if (!explainedByUnknown) {
                Write want = expected.get(key);
                assertThat(want).as("%s=%s (revision %d) was acknowledged at or before index %d", key, s.value(),
                        s.modRevision(), index).isNotNull();
                assertThat(s.value()).as(key).isEqualTo(want.value());
                assertThat(s.modRevision()).as(key).isEqualTo(want.revision());
            }
        }
        assertThat(served.keySet()).as("every key acknowledged at or before the backup's index is served")
                .containsAll(expected.keySet());
    }
}
