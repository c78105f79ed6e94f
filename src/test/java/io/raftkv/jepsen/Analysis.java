package io.raftkv.jepsen;

import io.raftkv.check.KvOp;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The checks of a run besides linearizability, as pure functions of what was recorded, so that they
 * can be tested on made-up histories.
 */
public final class Analysis {
    /** The 503s that mean "an election or a partition is in the way": anything else is a server fault. */
    public static final Set<String> UNAVAILABLE_TYPES = Set.of("no-leader", "outcome-unknown", "not-applied", "read-timeout");

    /** How long after a partition heals its effects may still show: a request started then may wait out the 5 s write timeout. */
    public static final long SETTLE_NANOS = 6_000_000_000L;

    /** Slack around an observed election: the monitor samples every 200 ms, and a deposed leader answers 1 s after stepping down. */
    public static final long ELECTION_MARGIN_NANOS = 1_500_000_000L;

    private Analysis() {
    }

    /** A write that was re-sent with its Idempotency-Key, and what the re-send answered. */
    public record Replay(Op original, Op again) {
    }

    // ---------------------------------------------------------------- acknowledged writes survive

    /**
     * Every acknowledged write is readable at the end: the final value of each key must come from a
     * write that nothing acknowledged later certainly overwrote: a write of unknown outcome (which may
     * have landed last) or an acknowledged one not followed by another acknowledged write that began
     * after it ended. The final read of a key is the op of {@code finalReader}.
     */
    public static List<String> lostWrites(List<Op> ops, int finalReader) {
        List<String> problems = new ArrayList<>();
        Map<String, Op> finals = new LinkedHashMap<>();
        Map<String, List<Op>> writes = new HashMap<>();
        for (Op op : ops) {
            if (op.client() == finalReader && op.kind() == KvOp.Kind.GET) {
                finals.put(op.key(), op);
            } else if (op.isWrite() && op.outcome() != KvOp.Outcome.FAILED && !(op.kind() == KvOp.Kind.CAS && op.outcome() == KvOp.Outcome.OK && !op.swapped())) {
                writes.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            }
        }
        for (Op fin : finals.values()) {
            if (fin.outcome() != KvOp.Outcome.OK) {
                problems.add("the final read of " + fin.key() + " got no answer: " + fin.error());
                continue;
            }
            List<Op> ws = writes.getOrDefault(fin.key(), List.of());
            long lastAckedStart = ws.stream().filter(Op::succeeded).mapToLong(Op::invokedAt).max().orElse(Long.MIN_VALUE);
            List<Op> candidates = ws.stream()
                    .filter(w -> w.outcome() == KvOp.Outcome.UNKNOWN || w.completedAt() >= lastAckedStart)
                    .toList();
            boolean explained = candidates.stream().anyMatch(w -> Objects.equals(w.kind() == KvOp.Kind.DELETE ? null : w.value(), fin.value()))
                    || (ws.stream().noneMatch(Op::succeeded) && fin.value() == null);
            if (!explained) {
                Op lastAcked = ws.stream().filter(Op::succeeded).max(Comparator.comparingLong(Op::completedAt)).orElse(null);
                problems.add("the final value of " + fin.key() + " is " + fin.value() + " (rev " + fin.revision()
                        + "), which no write that could be last wrote; the last acknowledged write was " + lastAcked);
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- exactly once

    /**
     * A write re-sent with the same Idempotency-Key must get the answer the first one got (same status,
     * same revision): the state machine remembered it rather than applying it again. Re-sends that got
     * no answer are not evidence either way and are counted by the caller.
     */
    public static List<String> replayMismatches(List<Replay> replays) {
        List<String> problems = new ArrayList<>();
        for (Replay r : replays) {
            Op a = r.original();
            Op b = r.again();
            if (!b.succeeded() || !a.succeeded()) {
                continue;
            }
            if (a.status() != b.status() || a.revision() != b.revision()) {
                problems.add("re-sent with the same Idempotency-Key, " + a + " was answered " + b.status() + " rev "
                        + b.revision() + " instead of " + a.status() + " rev " + a.revision() + ": applied twice?");
            }
        }
        return problems;
    }

    /**
     * Each written value is unique, so it is stored at one revision only: seeing a value at two
     * revisions means its write was applied twice.
     */
    public static List<String> valuesAtTwoRevisions(List<Op> ops) {
        Map<String, Long> revisionOf = new HashMap<>();
        Map<String, Op> firstSeen = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Op op : ops) {
            if (!op.succeeded() || op.value() == null || op.revision() == 0) {
                continue;
            }
            boolean carries = op.kind() == KvOp.Kind.GET || op.kind() == KvOp.Kind.PUT
                    || (op.kind() == KvOp.Kind.CAS && op.swapped());
            if (!carries) {
                continue;
            }
            String v = op.key() + "=" + op.value();
            Long before = revisionOf.putIfAbsent(v, op.revision());
            firstSeen.putIfAbsent(v, op);
            if (before != null && before != op.revision()) {
                problems.add("value " + op.value() + " of " + op.key() + " seen at revisions " + before + " (" + firstSeen.get(v)
                        + ") and " + op.revision() + " (" + op + "): its write was applied twice");
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- what clients saw

    /**
     * Every 5xx a client saw that is not a 503 of an election or partition, and every such 503 seen
     * while neither an election nor a partition was going on. Partitions are the nemesis's partition
     * and packet-loss windows (a lossy network is a partial partition), extended by
     * {@link #SETTLE_NANOS} for requests caught in them; elections are what the
     * {@link ElectionMonitor} saw, extended by {@link #ELECTION_MARGIN_NANOS} for the monitor's
     * sampling and the step-down grace. A kill or a pause excuses a 503 only through the election it
     * causes. 4xx answers other than those of the API's contract (404 for an absent key, 412 for a
     * failed condition) are reported too: they would be client or server bugs.
     */
    public static List<String> unexpectedAnswers(List<Op> ops, List<Nemesis.Window> windows) {
        List<String> problems = new ArrayList<>();
        for (Op op : ops) {
            for (Op.Attempt a : op.attempts()) {
                int s = a.status();
                if (s >= 500) {
                    if (s != 503 || !UNAVAILABLE_TYPES.contains(a.detail())) {
                        problems.add("a " + s + " " + a.detail() + " from " + a.node() + " at " + seconds(a.startedAt())
                                + " s: " + op);
                    } else if (!excused(a, windows)) {
                        problems.add("a 503 " + a.detail() + " from " + a.node() + " (asked at " + seconds(a.startedAt())
                                + " s, answered at " + seconds(a.endedAt()) + " s) with no election or partition going on: " + op);
                    }
                } else if (s >= 400 && s != 404 && !(s == 412 && op.kind() == KvOp.Kind.CAS)) {
                    problems.add("an unexpected " + s + " " + a.detail() + " from " + a.node() + " at "
                            + seconds(a.startedAt()) + " s: " + op);
                }
            }
        }
        return problems;
    }

    /** Whether the exchange overlapped an election or a partition (with their margins). */
    static boolean excused(Op.Attempt a, List<Nemesis.Window> windows) {
        for (Nemesis.Window w : windows) {
            long from;
            long to;
            switch (w.kind()) {
                case "partition", "loss" -> {
                    from = w.start();
                    to = w.end() + SETTLE_NANOS;
                }
                case "election" -> {
                    from = w.start() - ELECTION_MARGIN_NANOS;
                    to = w.end() + ELECTION_MARGIN_NANOS;
                }
                default -> {
                    continue;
                }
            }
            if (a.startedAt() <= to && a.endedAt() >= from) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- availability

    /** A stretch of the load with no successful write: from {@code start} to {@code end} (ns). */
    public record Gap(long start, long end) {
        public double seconds() {
            return (end - start) / 1e9;
        }
    }

    /** The longest time within [0, loadEnd] between two writes that took effect (acknowledged PUT, DELETE, swap). */
    public static Gap longestWriteGap(List<Op> ops, long loadEnd) {
        return longestGap(ops, loadEnd, Analysis::writeTookEffect);
    }

    /** An acknowledged PUT or DELETE, or a compare-and-set that swapped. */
    private static boolean writeTookEffect(Op o) {
        return o.succeeded() && o.isWrite() && (o.kind() != KvOp.Kind.CAS || o.swapped());
    }

    /**
     * The time without a write that took effect around {@code at} (a kill): from the last one completed
     * by then to the first completed after it, or to {@code loadEnd}. The longest gap of a run with
     * few writes is mostly the clients' think time wherever it falls; this one is the outage the
     * fault caused, plus the time since the last write before it.
     */
    public static Gap writeGapAcross(List<Op> ops, long at, long loadEnd) {
        long before = 0;
        long after = loadEnd;
        for (Op o : ops) {
            if (writeTookEffect(o)) {
                long t = o.completedAt();
                if (t <= at) {
                    before = Math.max(before, t);
                } else {
                    after = Math.min(after, t);
                }
            }
        }
        return new Gap(before, after);
    }

    /**
     * The longest time within [0, loadEnd] between two successful operations of any kind: how long the
     * cluster answered nobody. With 80% reads writes are sparse, so this is the fairer measure of an outage.
     */
    public static Gap longestSilence(List<Op> ops, long loadEnd) {
        return longestGap(ops, loadEnd, o -> true);
    }

    private static Gap longestGap(List<Op> ops, long loadEnd, java.util.function.Predicate<Op> which) {
        List<Long> done = ops.stream()
                .filter(o -> o.succeeded() && which.test(o))
                .map(Op::completedAt)
                .filter(t -> t <= loadEnd)
                .sorted()
                .toList();
        long prev = 0;
        Gap best = new Gap(0, 0);
        for (long t : done) {
            if (t - prev > best.end() - best.start()) {
                best = new Gap(prev, t);
            }
            prev = t;
        }
        if (loadEnd - prev > best.end() - best.start()) {
            best = new Gap(prev, loadEnd);
        }
        return best;
    }

    /** The q-quantile (0..1) of the latencies, in ms, nearest rank. */
    public static double percentile(List<Double> sortedMillis, double q) {
        if (sortedMillis.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sortedMillis.size()) - 1;
        return sortedMillis.get(Math.max(0, Math.min(sortedMillis.size() - 1, i)));
    }

    static String seconds(long nanos) {
        return String.format("%.3f", nanos / 1e9);
    }
}
