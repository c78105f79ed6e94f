package io.raftkv.jepsen;

import java.time.Duration;
import java.util.List;

/**
 * A workload and the faults injected while it runs: the schedule is data, a list of nemesis actions
 * at offsets given as fractions of the load's duration, so the same schedule serves a short run and
 * a long soak. Everything is healed when the load ends.
 *
 * @param name         directory and test name, e.g. {@code crash-leader-twice}
 * @param family       simple, unreliable, crash, pause, partition or advanced
 * @param readFraction the share of operations that are reads (0.2 or 0.8)
 * @param load         how long the clients issue operations
 * @param steps        the nemesis actions, in order of {@link Step#at}
 * @param network      whether it needs network faults (partitions, packet loss)
 * @param failureBudget the largest share of operations that may fail (0 for simple and unreliable)
 * @param maxWriteGap  the longest time the load may go without a successful write; null: no bound
 */
public record Schedule(String name, String family, double readFraction, Duration load, List<Step> steps,
                       boolean network, double failureBudget, Duration maxWriteGap) {

    public Schedule(String name, String family, double readFraction, Duration load, List<Step> steps,
                    boolean network, double failureBudget) {
        this(name, family, readFraction, load, steps, network, failureBudget, null);
    }

    /** One nemesis action at {@code at} (0..1) of the load. */
    public record Step(double at, Nemesis.Action action) {
        public Step {
            if (at < 0 || at > 1) {
                throw new IllegalArgumentException("a step happens during the load: 0 <= at <= 1, not " + at);
            }
        }
    }

    public Duration offset(Step s) {
        return Duration.ofNanos((long) (load.toNanos() * s.at()));
    }

    public Schedule withLoad(Duration d) {
        return new Schedule(name, family, readFraction, d, steps, network, failureBudget, maxWriteGap);
    }

    @Override
    public String toString() {
        return name;
    }
}
