package io.raftkv.raft.sim;

import io.raftkv.raft.RaftConfig;

import java.util.Random;

/**
 * The shape of one simulated run. {@link #random} draws a mixed-fault configuration from a seed,
 * so a sweep covers many cluster sizes and fault mixes.
 *
 * @param faultMs          how long the nemesis injects faults before everything heals
 * @param nemesisGapMs     mean time between nemesis actions
 * @param maxDropRate      upper bound of the message loss the nemesis sets
 * @param maxDupRate       upper bound of message duplication
 * @param maxDelayMs       upper bound of ordinary message delay (a few messages are slower still, which reorders)
 * @param crashes          whether the nemesis crashes and restarts nodes (also mid-Ready)
 * @param partitions       whether it cuts links (symmetric, one-way, isolating the leader)
 * @param snapshotEvery    entries between a node's own snapshots (0: never)
 * @param livenessBoundMs  after healing, a write must commit within this simulated time
 * @param membership       whether the nemesis loses disks and removes members, and an autopilot adds
 *                         each rejoined node as a learner, replaces its old id and promotes it
 */
public record SimConfig(int nodes, int clients, int keys, long faultMs, long nemesisGapMs, double maxDropRate,
                        double maxDupRate, int maxDelayMs, boolean crashes, boolean partitions, boolean transfers,
                        long snapshotEvery, long trailingEntries, long livenessBoundMs, RaftConfig raft, boolean membership) {

    public SimConfig(int nodes, int clients, int keys, long faultMs, long nemesisGapMs, double maxDropRate,
                     double maxDupRate, int maxDelayMs, boolean crashes, boolean partitions, boolean transfers,
                     long snapshotEvery, long trailingEntries, long livenessBoundMs, RaftConfig raft) {
        this(nodes, clients, keys, faultMs, nemesisGapMs, maxDropRate, maxDupRate, maxDelayMs, crashes, partitions, transfers,
                snapshotEvery, trailingEntries, livenessBoundMs, raft, false);
    }

    public static SimConfig quiet(int nodes) {
        return new SimConfig(nodes, 3, 3, 0, 1000, 0, 0, 5, false, false, false, 0, 0, 5_000, withSimLag(RaftConfig.defaults("n1")));
    }

    /**
     * Mostly the production defaults; otherwise a valid variation that reaches other code paths:
     * without CheckQuorum or PreVote (a deposed leader lingers), with a one-message in-flight window,
     * with a byte cap that splits every batch, or with other tick ratios.
     */
    private static RaftConfig randomRaft(Random r) {
        RaftConfig d = withSimLag(RaftConfig.defaults("n1"));
        if (r.nextInt(2) == 0) {
            return d;
        }
        int heartbeat = 1 + r.nextInt(5);
        int election = heartbeat * (3 + r.nextInt(8));
        return new RaftConfig("n1", election, heartbeat,
                r.nextBoolean() ? d.maxBytesPerMessage() : 1 + r.nextInt(200),
                r.nextBoolean() ? d.maxInflightMessages() : 1 + r.nextInt(4),
                election * (2 + r.nextInt(10)),
                r.nextInt(3) != 0, r.nextInt(3) != 0, PROMOTION_MAX_LAG);
    }

    /**
     * The simulator's logs are short: a production cap of a thousand entries would let every learner
     * be promoted at once, so the core's rule against promoting one that is behind would go untried.
     */
    public static final long PROMOTION_MAX_LAG = 5;

    private static RaftConfig withSimLag(RaftConfig c) {
        return new RaftConfig(c.id(), c.electionTicks(), c.heartbeatTicks(), c.maxBytesPerMessage(), c.maxInflightMessages(),
                c.snapshotTimeoutTicks(), c.checkQuorum(), c.preVote(), PROMOTION_MAX_LAG);
    }

    public static SimConfig random(long seed) {
        Random r = new Random(seed ^ 0x5DEECE66DL);
        int[] sizes = {3, 3, 3, 5, 5, 7};
        return new SimConfig(
                sizes[r.nextInt(sizes.length)],
                2 + r.nextInt(5),
                1 + r.nextInt(4),
                2_000 + r.nextInt(4_000),
                100 + r.nextInt(500),
                r.nextInt(3) == 0 ? 0 : 0.3 * r.nextDouble(),
                r.nextInt(3) == 0 ? 0 : 0.1 * r.nextDouble(),
                2 + r.nextInt(40),
                r.nextInt(5) != 0,
                r.nextInt(5) != 0,
                r.nextInt(3) == 0,
                r.nextBoolean() ? 0 : 10 + r.nextInt(100),
                r.nextInt(20),
                10_000,
                randomRaft(r),
                r.nextInt(3) == 0);
    }

    public SimConfig withFaultMs(long ms) {
        return new SimConfig(nodes, clients, keys, ms, nemesisGapMs, maxDropRate, maxDupRate, maxDelayMs, crashes,
                partitions, transfers, snapshotEvery, trailingEntries, livenessBoundMs, raft, membership);
    }
}
