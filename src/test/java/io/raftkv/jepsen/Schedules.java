package io.raftkv.jepsen;

import io.raftkv.jepsen.Nemesis.Heal;
import io.raftkv.jepsen.Nemesis.Kill;
import io.raftkv.jepsen.Nemesis.Loss;
import io.raftkv.jepsen.Nemesis.LoseDisk;
import io.raftkv.jepsen.Nemesis.Partition;
import io.raftkv.jepsen.Nemesis.RemoveLeader;
import io.raftkv.jepsen.Nemesis.Resize;
import io.raftkv.jepsen.Nemesis.Resets;
import io.raftkv.jepsen.Nemesis.Pause;
import io.raftkv.jepsen.Nemesis.RestartAll;
import io.raftkv.jepsen.Nemesis.ResumeAll;
import io.raftkv.jepsen.Nemesis.Split;
import io.raftkv.jepsen.Nemesis.Target;
import io.raftkv.jepsen.Schedule.Step;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The schedules of the course simulator that graded the student Raft stores raftkv grew from (simple;
 * unreliable; crash; partition; advanced), plus pauses, kills and pauses combined, and a partition
 * that strands the leader in the minority. Short runs take one read mix per schedule (alternating 80% and 20% reads); soaks run
 * every schedule with both.
 *
 * <p>System properties: {@code jepsen.soak=true} selects the soak; {@code jepsen.load=30s} overrides
 * the load's duration; {@code jepsen.schedules=regex} runs only the schedules whose name matches;
 * {@code jepsen.delayMillis} the delay added to lossy links (5); {@code jepsen.node=raftkv.x=v,...}
 * node settings to try instead of the defaults (e.g. {@code raftkv.timing.election-timeout=1s}).
 */
public final class Schedules {
    public static final Duration SHORT_LOAD = Duration.ofSeconds(12);
    public static final Duration SOAK_LOAD = Duration.ofSeconds(40);
    private static final Duration DELAY = Duration.ofMillis(Long.getLong("jepsen.delayMillis", 5));
    private static final Duration RESET_GAP = Duration.ofSeconds(2);

    private Schedules() {
    }

    private record Base(String name, String family, double shortReads, double budget, List<Step> steps, Duration maxWriteGap) {
        Base(String name, String family, double shortReads, double budget, List<Step> steps) {
            this(name, family, shortReads, budget, steps, null);
        }

        boolean network() {
            return steps.stream().anyMatch(s -> s.action().network());
        }
    }

    private static final List<Base> BASES = List.of(
            new Base("simple", "simple", 0.8, 0, List.of()),
            new Base("unreliable-5", "unreliable", 0.2, 0, List.of(step(0, new Loss(0.05, DELAY)))),
            new Base("unreliable-10", "unreliable", 0.8, 0, List.of(step(0, new Loss(0.10, DELAY)))),
            new Base("unreliable-15", "unreliable", 0.2, 0, List.of(step(0, new Loss(0.15, DELAY)))),
            new Base("crash-follower-once", "crash", 0.8, 0.02, List.of(
                    step(0.25, new Kill(Target.FOLLOWER)), step(0.6, new RestartAll()))),
            new Base("crash-follower-twice", "crash", 0.2, 0.02, List.of(
                    step(0.15, new Kill(Target.FOLLOWER)), step(0.35, new RestartAll()),
                    step(0.55, new Kill(Target.FOLLOWER)), step(0.75, new RestartAll()))),
            new Base("crash-leader-once", "crash", 0.8, 0.02, List.of(
                    step(0.25, new Kill(Target.LEADER)), step(0.6, new RestartAll()))),
            new Base("crash-leader-twice", "crash", 0.2, 0.02, List.of(
                    step(0.15, new Kill(Target.LEADER)), step(0.35, new RestartAll()),
                    step(0.55, new Kill(Target.LEADER)), step(0.75, new RestartAll()))),
            new Base("pause-leader-then-random", "pause", 0.8, 0.02, List.of(
                    step(0.15, new Pause(Target.LEADER)), step(0.35, new ResumeAll()),
                    step(0.55, new Pause(Target.RANDOM)), step(0.75, new ResumeAll()))),
            new Base("crash-pause-combined", "combined", 0.2, 0.02, List.of(
                    step(0.1, new Kill(Target.RANDOM)), step(0.25, new Pause(Target.LEADER)),
                    step(0.45, new RestartAll()), step(0.5, new ResumeAll()),
                    step(0.6, new Pause(Target.RANDOM)), step(0.7, new Kill(Target.LEADER)),
                    step(0.85, new ResumeAll()), step(0.9, new RestartAll()))),
            new Base("partition-leader-majority-once", "partition", 0.2, 0.02, List.of(
                    step(0.25, new Partition(Split.LEADER_MAJORITY)), step(0.6, new Heal()))),
            new Base("partition-random-majority-once", "partition", 0.8, 0.02, List.of(
                    step(0.25, new Partition(Split.RANDOM_MAJORITY)), step(0.6, new Heal()))),
            new Base("partition-leader-majority-repeated", "partition", 0.2, 0.02, repeated(Split.LEADER_MAJORITY)),
            new Base("partition-random-majority-repeated", "partition", 0.8, 0.02, repeated(Split.RANDOM_MAJORITY)),
            new Base("partition-leader-minority", "partition", 0.2, 0.02, List.of(
                    step(0.25, new Partition(Split.LEADER_MINORITY)), step(0.6, new Heal()))),
            // Peer connections reset at random, as a flaky load balancer or NAT does: writes must keep
            // going (no gap over 2 s) and at most 1% of operations may fail. Mostly writes, so that the
            // longest gap between writes measures the faults, not the mix.
            new Base("resets-5", "resets", 0.2, 0.01, List.of(step(0, new Resets(0.05))), RESET_GAP),
            new Base("resets-10", "resets", 0.2, 0.01, List.of(step(0, new Resets(0.10))), RESET_GAP),
            new Base("resets-15", "resets", 0.2, 0.01, List.of(step(0, new Resets(0.15))), RESET_GAP),
            new Base("advanced", "advanced", 0.8, 0.02, List.of(
                    step(0, new Loss(0.05, DELAY)),
                    step(0.1, new Partition(Split.RANDOM_MAJORITY)), step(0.25, new Heal()),
                    step(0.35, new Kill(Target.LEADER)), step(0.5, new RestartAll()),
                    step(0.6, new Partition(Split.LEADER_MINORITY)), step(0.75, new Heal()),
                    step(0.8, new Kill(Target.LEADER)))),
            // Last: each leaves the cluster with a new member id in place of an old one.
            new Base("lose-disk-follower", "crash", 0.8, 0.02, List.of(
                    step(0.2, new LoseDisk(Target.FOLLOWER)), step(0.4, new RestartAll()))),
            new Base("lose-disk-leader", "crash", 0.2, 0.02, List.of(
                    step(0.2, new LoseDisk(Target.LEADER)), step(0.4, new RestartAll()))),
            new Base("remove-leader-and-rejoin", "crash", 0.8, 0.02, List.of(
                    step(0.2, new RemoveLeader()), step(0.4, new RestartAll()))),
            // Shrinks 5 -> 3 (the last names go, the leader first handing over if it is one of them),
            // then grows back to 5 with empty nodes under those names, which join as new members.
            new Base("shrink-and-grow", "membership", 0.2, 0.02, List.of(
                    step(0.1, new Resize(3)), step(0.4, new Resize(5)))));

    private static List<Step> repeated(Split split) {
        return List.of(step(0.1, new Partition(split)), step(0.3, new Heal()),
                step(0.4, new Partition(split)), step(0.6, new Heal()),
                step(0.7, new Partition(split)), step(0.9, new Heal()));
    }

    private static Step step(double at, Nemesis.Action a) {
        return new Step(at, a);
    }

    /** Node settings the runs use instead of the defaults ({@code -Djepsen.node=raftkv.timing.tick=10ms,...}). */
    public static java.util.Map<String, String> nodeSettings() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String kv : System.getProperty("jepsen.node", "").split(",")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        return m;
    }

    /** The schedules to run, as the system properties select, with or without network faults. */
    public static List<Schedule> selected(boolean network) {
        boolean soak = Boolean.getBoolean("jepsen.soak");
        String load = System.getProperty("jepsen.load", "");
        Duration d = !load.isBlank() ? Duration.parse("PT" + load.toUpperCase()) : soak ? SOAK_LOAD : SHORT_LOAD;
        String filter = System.getProperty("jepsen.schedules", "");
        Predicate<String> wanted = filter.isBlank() ? n -> true : Pattern.compile(filter).asPredicate();
        List<Schedule> out = new ArrayList<>();
        for (Base b : BASES) {
            if (b.network() != network) {
                continue;
            }
            List<Double> mixes = soak ? List.of(0.2, 0.8) : List.of(b.shortReads());
            for (double reads : mixes) {
                String name = b.name() + "-r" + Math.round(reads * 100);
                if (wanted.test(name)) {
                    out.add(new Schedule(name, b.family(), reads, d, b.steps(), b.network(), b.budget(), b.maxWriteGap()));
                }
            }
        }
        return out;
    }
}
