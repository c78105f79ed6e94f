package io.raftkv.raft.sim;

/** A broken invariant or a non-linearizable history, with the seed that replays it and the last events before it. */
public final class SimulationFailure extends RuntimeException {
    private final long seed;

    public SimulationFailure(long seed, String problem, String trace) {
        super("seed " + seed + ": " + problem + "\n  replay: ./mvnw test -Dtest=RaftSimulationTest#replay -Draftkv.sim.seed="
                + seed + "\n" + trace);
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }
}
