package io.raftkv.raft.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/** Runs one simulation per seed on every core; a seed that fails is kept with its replay, not thrown. */
public final class SeedSweep {
    /** The outcomes of the seeds that passed, in seed order, and the failures, sorted by seed. */
    public record Result<T>(List<T> outcomes, List<SimulationFailure> failures) {
    }

    private SeedSweep() {
    }

    public static <T> Result<T> run(long first, int seeds, LongFunction<T> simulation) throws Exception {
        List<SimulationFailure> failures = Collections.synchronizedList(new ArrayList<>());
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<T>> runs = new ArrayList<>();
        for (long s = first; s < first + seeds; s++) {
            long seed = s;
            runs.add(pool.submit(() -> {
                try {
                    return simulation.apply(seed);
                } catch (SimulationFailure f) {
                    failures.add(f);
                    return null;
                }
            }));
        }
        List<T> outcomes = new ArrayList<>();
        for (Future<T> f : runs) {
            T o = f.get();
            if (o != null) {
                outcomes.add(o);
            }
        }
        pool.shutdown();
        if (!pool.awaitTermination(1, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the sweep's threads did not end");
        }
        List<SimulationFailure> sorted = new ArrayList<>(failures);
        sorted.sort((a, b) -> Long.compare(a.seed(), b.seed()));
        return new Result<>(outcomes, sorted);
    }
}
