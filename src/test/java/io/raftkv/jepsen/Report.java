package io.raftkv.jepsen;

import io.raftkv.check.KvOp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Writes a run's report under {@code target/jepsen/<schedule>/}: {@code summary.md} for people,
 * {@code summary.json} for tools, {@code history.txt} (every operation with every HTTP exchange), and
 * {@code timeline.png}; and adds the run's row to the suite's table {@code target/jepsen/summary.md}.
 */
public final class Report {
    public static final Path ROOT = Path.of(System.getProperty("jepsen.reports", "target/jepsen"));

    private Report() {
    }

    /** One row of the suite table. */
    public static String row(JepsenRun.Result r) {
        return String.format(Locale.ROOT, "| %s | %d%% | %d | %d (%.1f%%) | %.2f s | %.2f s | %d | %.0f / %.0f ms | %s | %s |",
                r.schedule().name(), Math.round(r.schedule().readFraction() * 100), r.clientOps().size(), r.failures(),
                r.failureRate() * 100, r.longestSilence().seconds(), r.longestWriteGap().seconds(), r.termsStarted(),
                latency(r, o -> true, 0.5), latency(r, o -> true, 0.99),
                r.linearizability().linearizable() ? "linearizable" : "**NOT linearizable**", verdicts(r));
    }

    public static final String TABLE_HEAD = "| schedule | reads | ops | failed | worst unavailability (no answer) "
            + "| longest without a write | new terms | p50 / p99 | checker | other checks |\n"
            + "|---|---|---|---|---|---|---|---|---|---|";

    static String verdicts(JepsenRun.Result r) {
        List<String> bad = new ArrayList<>();
        if (!r.lostWrites().isEmpty()) {
            bad.add(r.lostWrites().size() + " lost writes");
        }
        if (!r.duplicateApplications().isEmpty()) {
            bad.add(r.duplicateApplications().size() + " double applications");
        }
        if (r.inconclusiveReplays() > 0) {
            bad.add(r.inconclusiveReplays() + " re-sent writes unanswered");
        }
        if (!r.unexpectedAnswers().isEmpty()) {
            bad.add(r.unexpectedAnswers().size() + " unexpected answers");
        }
        if (r.failureRate() > r.schedule().failureBudget()) {
            bad.add("failures over budget");
        }
        return bad.isEmpty() ? "ok" : "**" + String.join(", ", bad) + "**";
    }

    public static Path write(JepsenRun.Result r) throws IOException {
        Path dir = ROOT.resolve(r.schedule().name());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.md"), markdown(r));
        Files.writeString(dir.resolve("summary.json"), json(r));
        Files.write(dir.resolve("history.txt"), r.ops().stream().map(Op::toString).toList());
        Timeline.write(r, dir.resolve("timeline.png"));
        appendToSuite(r);
        return dir;
    }

    private static synchronized void appendToSuite(JepsenRun.Result r) throws IOException {
        Path suite = ROOT.resolve("summary.md");
        if (!Files.exists(suite)) {
            Files.writeString(suite, "# Jepsen-style runs\n\n" + TABLE_HEAD + "\n");
        }
        Files.writeString(suite, row(r) + "\n", StandardOpenOption.APPEND);
    }

    static double latency(JepsenRun.Result r, Predicate<Op> which, double q) {
        List<Double> l = r.clientOps().stream().filter(Op::succeeded).filter(which).map(Op::latencyMillis).sorted().toList();
        return Analysis.percentile(l, q);
    }

    static String markdown(JepsenRun.Result r) {
        StringBuilder sb = new StringBuilder();
        Schedule s = r.schedule();
        List<Op> ops = r.clientOps();
        sb.append("# ").append(s.name()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "%s schedule, %d%% reads, load %d s, seed %d (`-Djepsen.seed=%d`), started %s"
                        + " (time 0 of the run; node logs use wall-clock time). ![timeline](timeline.png)%n%n",
                s.family(), Math.round(s.readFraction() * 100), s.load().toSeconds(), r.seed(), r.seed(), r.startedAt()));
        sb.append("## Verdict\n\n");
        sb.append("- linearizability: ").append(r.linearizability().linearizable() ? "linearizable"
                : "NOT linearizable: " + r.linearizability().explanation()).append(String.format(Locale.ROOT, " (checked in %.0f ms)%n", r.checkNanos() / 1e6));
        sb.append("- acknowledged writes readable at the end: ").append(r.lostWrites().isEmpty() ? "yes" : "NO").append('\n');
        sb.append("- exactly once with Idempotency-Key: ").append(r.duplicateApplications().isEmpty() ? "yes" : "NO")
                .append(" (").append(r.replays()).append(" writes re-sent, ").append(r.inconclusiveReplays()).append(" without an answer)\n");
        sb.append("- unexpected answers (5xx other than an election's or partition's 503): ").append(r.unexpectedAnswers().size()).append('\n');
        sb.append(String.format(Locale.ROOT, "- failed operations: %d of %d (%.2f%%; allowed %.0f%%)%n", r.failures(), ops.size(),
                r.failureRate() * 100, s.failureBudget() * 100));
        sb.append(String.format(Locale.ROOT, "- longest time without a successful write: %.2f s (%.2f s .. %.2f s)%n",
                r.longestWriteGap().seconds(), r.longestWriteGap().start() / 1e9, r.longestWriteGap().end() / 1e9));
        r.writeGapsAcrossKills().forEach((kill, gap) -> sb.append(String.format(Locale.ROOT,
                "- without a successful write across %s at %.2f s: %.2f s (%.2f s .. %.2f s; the first %.2f s after the kill)%n",
                kill.label(), kill.start() / 1e9, gap.seconds(), gap.start() / 1e9, gap.end() / 1e9, (gap.end() - kill.start()) / 1e9)));
        sb.append(String.format(Locale.ROOT, "- longest time without any successful operation (worst unavailability): %.2f s (%.2f s .. %.2f s)%n",
                r.longestSilence().seconds(), r.longestSilence().start() / 1e9, r.longestSilence().end() / 1e9));
        sb.append(String.format(Locale.ROOT, "- recovery after the final heal (leader and every node ready): %.2f s%n", r.recoveryNanos() / 1e9));
        sb.append(String.format(Locale.ROOT, "- elections seen: %d new terms, unsettled for %.2f s in all%n%n", r.termsStarted(),
                r.elections().stream().mapToLong(w -> w.end() - w.start()).sum() / 1e9));

        sb.append("## Operations\n\n| kind | ok | unknown | failed |\n|---|---|---|---|\n");
        for (KvOp.Kind k : KvOp.Kind.values()) {
            Map<KvOp.Outcome, Long> by = new EnumMap<>(KvOp.Outcome.class);
            ops.stream().filter(o -> o.kind() == k).forEach(o -> by.merge(o.outcome(), 1L, Long::sum));
            sb.append("| ").append(k).append(" | ").append(by.getOrDefault(KvOp.Outcome.OK, 0L)).append(" | ")
                    .append(by.getOrDefault(KvOp.Outcome.UNKNOWN, 0L)).append(" | ").append(by.getOrDefault(KvOp.Outcome.FAILED, 0L)).append(" |\n");
        }
        long refused = ops.stream().filter(o -> o.kind() == KvOp.Kind.CAS && o.succeeded() && !o.swapped()).count();
        long retried = ops.stream().filter(o -> o.attempts().stream().filter(a -> a.status() != 307).count() > 1).count();
        sb.append(String.format("%nCAS refused with 412 (a successful operation): %d. Operations that needed more than one attempt: %d.%n%n", refused, retried));

        sb.append("## Latency of successful operations (ms)\n\n| | p50 | p90 | p99 | max |\n|---|---|---|---|---|\n");
        latencyRow(sb, r, "reads", o -> o.kind() == KvOp.Kind.GET);
        latencyRow(sb, r, "writes", Op::isWrite);
        latencyRow(sb, r, "all", o -> true);

        sb.append("\n## Faults\n\n```\n");
        r.events().forEach(e -> sb.append(e).append('\n'));
        sb.append("```\n\n## Elections seen\n\n```\n");
        r.elections().forEach(w -> sb.append(String.format(Locale.ROOT, "%7.3f .. %7.3f s  %s%n", w.start() / 1e9, w.end() / 1e9, w.label())));
        sb.append("```\n");
        section(sb, "Linearizability counterexample", r.linearizability().linearizable() ? List.of()
                : r.linearizability().history().stream().map(Object::toString).toList());
        section(sb, "Lost writes", r.lostWrites());
        section(sb, "Double applications", r.duplicateApplications());
        section(sb, "Unexpected answers", r.unexpectedAnswers());
        section(sb, "Failed operations", ops.stream().filter(o -> !o.succeeded()).map(Op::toString).toList());
        return sb.toString();
    }

    private static void latencyRow(StringBuilder sb, JepsenRun.Result r, String name, Predicate<Op> which) {
        sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f |%n", name, latency(r, which, 0.5),
                latency(r, which, 0.9), latency(r, which, 0.99), latency(r, which, 1.0)));
    }

    private static void section(StringBuilder sb, String title, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        sb.append("\n## ").append(title).append("\n\n```\n");
        lines.stream().limit(200).forEach(l -> sb.append(l).append('\n'));
        if (lines.size() > 200) {
            sb.append("... ").append(lines.size() - 200).append(" more\n");
        }
        sb.append("```\n");
    }

    static String json(JepsenRun.Result r) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        Schedule s = r.schedule();
        m.put("schedule", s.name());
        m.put("family", s.family());
        m.put("readFraction", s.readFraction());
        m.put("loadSeconds", s.load().toSeconds());
        m.put("seed", r.seed());
        m.put("startedAt", r.startedAt().toString());
        m.put("operations", r.clientOps().size());
        m.put("failures", r.failures());
        m.put("failureRate", r.failureRate());
        m.put("failureBudget", s.failureBudget());
        m.put("unknownWrites", r.clientOps().stream().filter(o -> o.outcome() == KvOp.Outcome.UNKNOWN).count());
        m.put("latencyMillis", Map.of("p50", latency(r, o -> true, 0.5), "p90", latency(r, o -> true, 0.9),
                "p99", latency(r, o -> true, 0.99), "max", latency(r, o -> true, 1.0)));
        m.put("longestWithoutSuccessfulWriteSeconds", r.longestWriteGap().seconds());
        m.put("writeGapsAcrossKills", r.writeGapsAcrossKills().entrySet().stream().map(e -> Map.of("kill", e.getKey().label(),
                "atSeconds", e.getKey().start() / 1e9, "gapSeconds", e.getValue().seconds(),
                "firstWriteAfterSeconds", (e.getValue().end() - e.getKey().start()) / 1e9)).toList());
        m.put("longestWithoutAnySuccessSeconds", r.longestSilence().seconds());
        m.put("recoverySeconds", r.recoveryNanos() / 1e9);
        m.put("termsStarted", r.termsStarted());
        m.put("elections", r.elections().stream().map(w -> Map.of("label", w.label(),
                "startSeconds", w.start() / 1e9, "endSeconds", w.end() / 1e9)).toList());
        m.put("linearizable", r.linearizability().linearizable());
        m.put("nonLinearizableKey", r.linearizability().key());
        m.put("checkMillis", r.checkNanos() / 1e6);
        m.put("lostWrites", r.lostWrites());
        m.put("duplicateApplications", r.duplicateApplications());
        m.put("replays", r.replays());
        m.put("inconclusiveReplays", r.inconclusiveReplays());
        m.put("unexpectedAnswers", r.unexpectedAnswers());
        m.put("faults", r.windows().stream().map(w -> Map.of("label", w.label(), "kind", w.kind(),
                "startSeconds", w.start() / 1e9, "endSeconds", w.end() / 1e9)).toList());
        m.put("events", r.events());
        return toJson(m, "") + "\n";
    }

    private static String toJson(Object o, String indent) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Number || o instanceof Boolean) {
            if (o instanceof Double d && (d.isNaN() || d.isInfinite())) {
                return "null";
            }
            return o.toString();
        }
        if (o instanceof Map<?, ?> map) {
            String in = indent + "  ";
            return map.entrySet().stream().map(e -> in + quote(e.getKey().toString()) + ": " + toJson(e.getValue(), in))
                    .collect(Collectors.joining(",\n", "{\n", "\n" + indent + "}"));
        }
        if (o instanceof List<?> list) {
            if (list.isEmpty()) {
                return "[]";
            }
            String in = indent + "  ";
            return list.stream().map(e -> in + toJson(e, in)).collect(Collectors.joining(",\n", "[\n", "\n" + indent + "]"));
        }
        return quote(o.toString());
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
