package io.raftkv.node;

/**
 * Monotonic time for the driver's own timers (the step-down grace of pending writes) and latency
 * metrics; the simulator's clock is simulated. Raft's elections never read it: they count ticks.
 */
@FunctionalInterface
public interface Clock {
    Clock SYSTEM = System::nanoTime;

    long nanos();
}
