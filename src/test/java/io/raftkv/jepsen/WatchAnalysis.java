package io.raftkv.jepsen;

import io.raftkv.check.KvOp;
import io.raftkv.jepsen.SseWatcher.Event;
import io.raftkv.jepsen.SseWatcher.Segment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the watchers of one prefix saw, judged against the acknowledged writes and a linearizable
 * read of the prefix at the end. A watcher's segments form chains: an {@code initial=true} start
 * and the resumes after it, up to the next start over (after a 410). Every chain must be in
 * revision order with no event twice (a transaction's events share a revision), resume exactly where it asked, miss no event any other watcher or
 * any acknowledged write shows in its span, and agree with every other watcher on each revision; the
 * last chain replayed from its initial state must equal the final read. A 410 must name an oldest
 * revision past the one asked for.
 */
final class WatchAnalysis {
    /** A key's value and modification revision, as the final read lists it. */
    record Listed(String value, long modRevision) {
    }

    private final List<String> violations = new ArrayList<>();
    /** Every event any watcher saw, by revision and key (a transaction changes several keys at one revision). */
    private final TreeMap<Long, Map<String, Event>> union = new TreeMap<>();

    private WatchAnalysis() {
    }

    /**
     * @param watchers each watcher's segments in order, by name
     * @param gones    each watcher's 410s, by name
     * @param writes   the writers' operations (acknowledged PUTs and 204 DELETEs are the ones that count)
     * @param finalRead the prefix as a linearizable read listed it after every watcher reached the last write
     */
    static List<String> check(Map<String, List<Segment>> watchers, Map<String, List<SseWatcher.Gone>> gones,
                              List<Op> writes, Map<String, Listed> finalRead) {
        WatchAnalysis a = new WatchAnalysis();
        a.agreement(watchers);
        watchers.forEach((name, segments) -> a.watcher(name, segments, writes, finalRead));
        gones.forEach((name, list) -> list.forEach(g -> {
            if (g.oldest() <= g.requested()) {
                a.violations.add(name + ": a 410 for Last-Event-ID " + g.requested() + " names no later oldest revision: " + g.body());
            }
        }));
        return a.violations;
    }

    /** Two watchers that saw different events of one key at one revision. */
    private void agreement(Map<String, List<Segment>> watchers) {
        Map<String, String> firstSeenBy = new HashMap<>();
        watchers.forEach((name, segments) -> segments.forEach(s -> s.events().forEach(e -> {
            Event before = union.computeIfAbsent(e.revision(), r -> new HashMap<>()).putIfAbsent(e.key(), e);
            if (before == null) {
                firstSeenBy.put(e.revision() + " " + e.key(), name);
            } else if (!before.equals(e)) {
                violations.add("revision " + e.revision() + ": " + firstSeenBy.get(e.revision() + " " + e.key()) + " saw " + before
                        + " but " + name + " saw " + e);
            }
        })));
    }

    private void watcher(String name, List<Segment> segments, List<Op> writes, Map<String, Listed> finalRead) {
        List<List<Segment>> chains = new ArrayList<>();
        for (Segment s : segments) {
            if (s.initial() != null || chains.isEmpty()) {
                chains.add(new ArrayList<>());
            }
            chains.get(chains.size() - 1).add(s);
            if (s.initial() == null && s.from() != s.requested()) {
                violations.add(name + ": asked to resume after " + s.requested() + " on " + s.node() + " but the stream started after " + s.from());
            }
        }
        if (chains.isEmpty()) {
            violations.add(name + ": never connected");
            return;
        }
        for (int i = 0; i < chains.size(); i++) {
            chain(name + " (start " + (i + 1) + ")", chains.get(i), writes, i == chains.size() - 1, finalRead);
        }
    }

    /** One chain; the {@code last} one ends at the final read's state (no write came after it). */
    private void chain(String name, List<Segment> chain, List<Op> writes, boolean last, Map<String, Listed> finalRead) {
        Segment first = chain.get(0);
        Map<String, Listed> state = new LinkedHashMap<>();
        if (first.initial() != null) {
            first.initial().forEach((k, e) -> state.put(k, new Listed(e.value(), e.modRevision())));
        }
        Map<Long, Map<String, Event>> seen = new HashMap<>();
        long previous = first.from();
        for (Segment s : chain) {
            for (Event e : s.events()) {
                Map<String, Event> atRevision = seen.computeIfAbsent(e.revision(), r -> new HashMap<>());
                if (e.revision() < previous || e.revision() <= s.from() || atRevision.containsKey(e.key())) {
                    violations.add(name + ": " + (atRevision.containsKey(e.key()) ? "duplicate " : "out of order ") + e
                            + " on " + s.node() + " after revision " + previous);
                    continue;
                }
                previous = e.revision();
                atRevision.put(e.key(), e);
                if (e.type().equals("put")) {
                    state.put(e.key(), new Listed(e.value(), e.modRevision()));
                } else {
                    state.remove(e.key());
                }
            }
        }
        long from = first.from();
        long to = previous;
        for (Map<String, Event> atRevision : union.subMap(from, false, to, true).values()) {
            for (Event e : atRevision.values()) {
                if (!seen.getOrDefault(e.revision(), Map.of()).containsKey(e.key())) {
                    violations.add(name + ": missed " + e + " (another watcher saw it) between revisions " + from + " and " + to);
                }
            }
        }
        for (Op w : writes) {
            if (!w.succeeded() || w.revision() <= from || w.revision() > to
                    || (w.kind() == KvOp.Kind.DELETE && w.status() != 204)) {
                continue;
            }
            Event e = seen.getOrDefault(w.revision(), Map.of()).get(w.key());
            boolean matches = e != null && (w.kind() == KvOp.Kind.DELETE
                    ? e.type().equals("delete") : e.type().equals("put") && Objects.equals(e.value(), w.value()));
            if (!matches) {
                violations.add(name + ": the acknowledged " + w + " shows as " + e);
            }
        }
        if (last) {
            if (!state.equals(finalRead)) {
                violations.add(name + ": replaying the events gives " + state + " but a linearizable read at the end lists " + finalRead);
            }
        }
    }
}
