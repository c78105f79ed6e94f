package io.raftkv.jepsen;

import java.time.Duration;
import java.util.List;

/**
 * The load and seed of the coordination checks: {@link #SHORT_LOAD} in a normal build (six checks
 * in two clusters must fit in about two minutes), {@link Schedules#SOAK_LOAD} with
 * {@code -Djepsen.soak=true}, or {@code -Djepsen.load=30s}; {@code -Djepsen.seed=N} repeats a run's
 * random choices (not its timing).
 */
final class CoordinationSchedules {
    static final Duration SHORT_LOAD = Duration.ofSeconds(10);

    private CoordinationSchedules() {
    }

    static Schedule of(String name, List<Schedule.Step> steps) {
        String load = System.getProperty("jepsen.load", "");
        Duration d = !load.isBlank() ? Duration.parse("PT" + load.toUpperCase())
                : Boolean.getBoolean("jepsen.soak") ? Schedules.SOAK_LOAD : SHORT_LOAD;
        boolean network = steps.stream().anyMatch(s -> s.action().network());
        return new Schedule(name, "coordination", 0, d, steps, network, 0);
    }

    static long seed() {
        return Long.getLong("jepsen.seed", System.nanoTime());
    }
}
