package io.raftkv.jepsen;

import io.raftkv.check.KvOp;
import io.raftkv.jepsen.SseWatcher.Event;
import io.raftkv.jepsen.SseWatcher.Gone;
import io.raftkv.jepsen.SseWatcher.Segment;
import io.raftkv.jepsen.WatchAnalysis.Listed;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class WatchAnalysisTest {
    private static final Event A5 = new Event(5, "put", "p/a", "x", 5);
    private static final Event B6 = new Event(6, "put", "p/b", "y", 6);
    private static final Event A7 = new Event(7, "delete", "p/a", null, 0);
    private static final Event B8 = new Event(8, "put", "p/b", "z", 8);
    private static final Map<String, Listed> FINAL = Map.of("p/b", new Listed("z", 8));
    private static final List<Op> WRITES = List.of(put("p/a", "x", 5), put("p/b", "y", 6), delete("p/a", 7), put("p/b", "z", 8));

    private static Op put(String key, String value, long revision) {
        return new Op(0, revision, KvOp.Kind.PUT, key, value, null, false, 0, 1, KvOp.Outcome.OK, 200, revision, "k" + revision, List.of(), null);
    }

    private static Op delete(String key, long revision) {
        return new Op(0, revision, KvOp.Kind.DELETE, key, null, null, false, 0, 1, KvOp.Outcome.OK, 204, revision, "k" + revision, List.of(), null);
    }

    private static Segment start(long from, List<Event> events) {
        return new Segment("n1", -1, from, Map.of(), new ArrayList<>(events));
    }

    private static Segment resume(long requested, long from, List<Event> events) {
        return new Segment("n2", requested, from, null, new ArrayList<>(events));
    }

    private static List<String> check(List<Segment> w1, List<Segment> w2) {
        return WatchAnalysis.check(Map.of("w1", w1, "w2", w2), Map.of(), WRITES, FINAL);
    }

    @Test
    void exactlyTheChangesAcrossResumesPass() {
        List<Segment> whole = List.of(start(4, List.of(A5, B6, A7, B8)));
        List<Segment> resumed = List.of(start(4, List.of(A5, B6)), resume(6, 6, List.of(A7)), resume(7, 7, List.of(B8)));
        assertThat(check(whole, resumed)).isEmpty();
    }

    @Test
    void aMissedEventIsCaughtEvenWhenEveryWatcherMissesIt() {
        List<Segment> gap = List.of(start(4, List.of(A5, B6, B8)));
        assertThat(check(gap, gap)).anyMatch(v -> v.contains("acknowledged") && v.contains("delete"))
                .anyMatch(v -> v.contains("replaying"));
    }

    @Test
    void aDuplicateAfterAResumeIsCaught() {
        List<Segment> dup = List.of(start(4, List.of(A5, B6)), resume(6, 5, List.of(B6, A7, B8)));
        assertThat(check(dup, List.of(start(4, List.of(A5, B6, A7, B8)))))
                .anyMatch(v -> v.contains("asked to resume after 6")).anyMatch(v -> v.contains("duplicate"));
    }

    @Test
    void aTransactionsEventsShareARevisionButNoneComesTwice() {
        Event a9 = new Event(9, "put", "p/a", "t1", 9);
        Event b9 = new Event(9, "put", "p/b", "t2", 9);
        Map<String, Listed> after = Map.of("p/a", new Listed("t1", 9), "p/b", new Listed("t2", 9));
        List<Op> writes = new ArrayList<>(WRITES);
        writes.add(put("p/a", "t1", 9));
        writes.add(put("p/b", "t2", 9));
        List<Segment> whole = List.of(start(4, List.of(A5, B6, A7, B8, a9, b9)));
        List<Segment> resumed = List.of(start(4, List.of(A5, B6, A7, B8)), resume(8, 8, List.of(a9, b9)));
        assertThat(WatchAnalysis.check(Map.of("w1", whole, "w2", resumed), Map.of(), writes, after)).isEmpty();
        List<Segment> repeated = List.of(start(4, List.of(A5, B6, A7, B8, a9)), resume(9, 9, List.of(a9, b9)));
        assertThat(WatchAnalysis.check(Map.of("w1", whole, "w2", repeated), Map.of(), writes, after))
                .anyMatch(v -> v.contains("duplicate")).anyMatch(v -> v.contains("missed"));
    }

    @Test
    void watchersThatDisagreeAreCaught() {
        Event other = new Event(6, "put", "p/b", "other", 6);
        assertThat(check(List.of(start(4, List.of(A5, B6, A7, B8))), List.of(start(4, List.of(A5, other, A7, B8)))))
                .anyMatch(v -> v.startsWith("revision 6"));
    }

    @Test
    void aGoneMustNameALaterOldestRevision() {
        List<Segment> ok = List.of(start(4, List.of(A5, B6, A7, B8)));
        assertThat(WatchAnalysis.check(Map.of("w1", ok), Map.of("w1", List.of(new Gone("n1", 6, 9, "{}"))), WRITES, FINAL)).isEmpty();
        assertThat(WatchAnalysis.check(Map.of("w1", ok), Map.of("w1", List.of(new Gone("n1", 6, -1, "{}"))), WRITES, FINAL))
                .anyMatch(v -> v.contains("410"));
    }
}
