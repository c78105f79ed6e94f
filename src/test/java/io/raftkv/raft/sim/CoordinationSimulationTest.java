package io.raftkv.raft.sim;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.Leases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator's sweep with the production state machine, its watch history and the leaders' lease
 * clocks on every node (see {@link CoordStateMachine}, {@link LeaseWorkload}, {@link WatchChecker}):
 * each seed's cluster goes through the usual crashes, partitions, snapshot installs and membership
 * changes, with every Raft invariant and the watch and lease checks after every applied entry.
 * {@code -Draftkv.coord.seeds=N} runs more; {@code -Draftkv.coord.seed=S} replays one.
 */
class CoordinationSimulationTest {
    static final int DEFAULT_SEEDS = 600;

    @Test
    void watchEventsAreTheCommittedChangesAndLeasesExpireAlikeEverywhere() throws Exception {
        int seeds = Integer.getInteger("raftkv.coord.seeds", DEFAULT_SEEDS);
        long first = Long.getLong("raftkv.coord.firstSeed", 1);
        long started = System.nanoTime();
        SeedSweep.Result<Map<String, Long>> sweep = SeedSweep.run(first, seeds, CoordinationSimulationTest::run);
        List<SimulationFailure> failures = sweep.failures();
        Map<String, Long> counts = new TreeMap<>();
        sweep.outcomes().forEach(c -> c.forEach((k, v) -> counts.merge(k, v, Long::sum)));
        System.out.printf("coordination sweep: %d seeds in %.1f s; %s%n", seeds, (System.nanoTime() - started) / 1e9, counts);
        if (!failures.isEmpty()) {
            System.out.println(failures.get(0).getMessage());
        }
        assertThat(failures).as("failing seeds: %s", failures.stream().map(SimulationFailure::seed).toList()).isEmpty();
        if (seeds >= DEFAULT_SEEDS) {
            // The checks are only as good as the cases they meet: each must have come up.
            assertThat(counts).as("what the sweep exercised").containsKeys("restores", "events a watcher read",
                    "watchers told the history is gone after a restore", "expirations applied",
                    "expirations of a deposed leader refused", "expirations of a renewed lease refused");
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "raftkv.coord.seed", matches = "-?\\d+")
    void replay() {
        long seed = Long.getLong("raftkv.coord.seed");
        System.out.println("replaying seed " + seed + " with " + SimConfig.random(seed));
        System.out.println(run(seed));
    }

    /** One seed as in the plain sweep (odd seeds on a simulated disk that loses unsynced writes), then every node's state compared. */
    static Map<String, Long> run(long seed) {
        SimConfig cfg = SimConfig.random(seed);
        Simulation[] sim = new Simulation[1];
        WatchChecker checker = new WatchChecker(() -> sim[0] == null ? 0 : sim[0].now());
        sim[0] = new Simulation(seed, cfg, seed % 2 != 0 ? new FaultyDiskStorage() : Simulation.MEMORY,
                (node, model) -> new CoordStateMachine(node, model, checker));
        new LeaseWorkload(sim[0], cfg, seed).start();
        sim[0].run();
        sameStateEverywhere(sim[0]);
        return checker.counts;
    }

    /** Once converged, every replica holds the same keys and leases: the same lease keys were deleted everywhere. */
    private static void sameStateEverywhere(Simulation sim) {
        Map<String, KeyValue> keys = null;
        List<Leases.Lease> leases = null;
        for (String name : sim.ids()) {
            CoordStateMachine m = (CoordStateMachine) sim.node(name).applied;
            if (keys == null) {
                keys = m.keys();
                leases = m.kv.leases();
            } else {
                assertThat(m.keys()).as("seed %d: the keys on %s", sim.seed(), name).isEqualTo(keys);
                assertThat(m.kv.leases()).as("seed %d: the leases on %s", sim.seed(), name).isEqualTo(leases);
            }
        }
    }
}
