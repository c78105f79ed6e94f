package io.raftkv.raft;

import io.raftkv.raft.sim.SimConfig;
import io.raftkv.raft.sim.Simulation;
import io.raftkv.raft.sim.SimulationFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized sweep: thousands of seeds, each a whole cluster under mixed faults, with the safety
 * invariants checked after every step, the history checked for linearizability and liveness checked
 * once the faults stop. {@code -Draftkv.sim.seeds=N} runs more; {@code -Draftkv.sim.seed=S} replays one.
 */
class RaftSimulationTest {
    static final int DEFAULT_SEEDS = 2000;

    @Test
    void randomizedSweepKeepsEveryInvariantAndEveryHistoryLinearizable() throws Exception {
        int seeds = Integer.getInteger("raftkv.sim.seeds", DEFAULT_SEEDS);
        long first = Long.getLong("raftkv.sim.firstSeed", 1);
        List<SimulationFailure> failures = Collections.synchronizedList(new ArrayList<>());
        long started = System.nanoTime();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Simulation.Outcome>> runs = new ArrayList<>();
        for (long s = first; s < first + seeds; s++) {
            long seed = s;
            runs.add(pool.submit(() -> {
                try {
                    return new Simulation(seed, SimConfig.random(seed)).run();
                } catch (SimulationFailure f) {
                    failures.add(f);
                    return null;
                }
            }));
        }
        long ops = 0;
        long unknown = 0;
        for (Future<Simulation.Outcome> f : runs) {
            Simulation.Outcome o = f.get();
            if (o != null) {
                ops += o.operations();
                unknown += o.unknownOperations();
            }
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        double secs = (System.nanoTime() - started) / 1e9;
        System.out.printf("simulation sweep: %d seeds in %.1f s (%.0f seeds/min on %d threads), %d client operations, %d with unknown outcome%n",
                seeds, secs, seeds / secs * 60, threads, ops, unknown);
        if (!failures.isEmpty()) {
            failures.sort((a, b) -> Long.compare(a.seed(), b.seed()));
            System.out.println(failures.get(0).getMessage());
        }
        assertThat(failures).as("failing seeds: %s", failures.stream().map(SimulationFailure::seed).toList()).isEmpty();
    }

    @Test
    @EnabledIfSystemProperty(named = "raftkv.sim.seed", matches = "-?\\d+")
    void replay() {
        long seed = Long.getLong("raftkv.sim.seed");
        SimConfig cfg = SimConfig.random(seed);
        System.out.println("replaying seed " + seed + " with " + cfg);
        Simulation.Outcome o = new Simulation(seed, cfg).run();
        System.out.println(o);
    }
}
