package io.raftkv.jepsen;

import java.time.Duration;
import java.util.List;

/**
 * The load and seed of the coordination checks: {@link Schedules#SHORT_LOAD} in a normal build,
 * {@link Schedules#SOAK_LOAD} with {@code -Djepsen.soak=true}, or {@code -Djepsen.load=30s};
 * {@code -Djepsen.seed=N} repeats a run.
 */
final class CoordinationSchedules {
    private CoordinationSchedules() {
    }

    static Schedule of(String name, List<Schedule.Step> steps) {
        String load = System.getProperty("jepsen.load", "");
        Duration d = !load.isBlank() ? Duration.parse("PT" + load.toUpperCase())
                : Boolean.getBoolean("jepsen.soak") ? Schedules.SOAK_LOAD : Schedules.SHORT_LOAD;
        boolean network = steps.stream().anyMatch(s -> s.action().network());
        return new Schedule(name, "coordination", 0, d, steps, network, 0);
    }

    static long seed() {
        return Long.getLong("jepsen.seed", System.nanoTime());
    }
}
