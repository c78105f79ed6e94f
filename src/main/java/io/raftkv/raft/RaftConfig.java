package io.raftkv.raft;

import java.util.Objects;

/**
 * Tunables of the core, in ticks and counts. With the node's default 10 ms tick, the defaults give
 * an election timeout randomized in 150–300 ms and a heartbeat every 50 ms.
 *
 * @param electionTicks         minimum election timeout; each node draws its timeout from
 *                              {@code [electionTicks, 2 * electionTicks)}. Also the CheckQuorum
 *                              period and the leader-transfer deadline.
 * @param heartbeatTicks        leader heartbeat period
 * @param maxBytesPerMessage    cap on entry bytes in one AppendEntries (one entry always fits)
 * @param maxInflightMessages   AppendEntries a leader keeps unacknowledged per follower
 * @param snapshotTimeoutTicks  how long a leader waits for an InstallSnapshot answer before probing again
 * @param checkQuorum           a leader that has not heard from a majority for an election timeout steps down
 * @param preVote               a would-be candidate first asks whether it could win (dissertation §9.6)
 * @param promotionMaxLag       a learner more entries behind the leader's log than this, or not heard
 *                              from within an election timeout, is not promoted: a voter that cannot
 *                              keep up would slow every commit, or stop them (etcd refuses the same way)
 */
public record RaftConfig(String id, int electionTicks, int heartbeatTicks, long maxBytesPerMessage,
                         int maxInflightMessages, int snapshotTimeoutTicks, boolean checkQuorum, boolean preVote,
                         long promotionMaxLag) {

    public RaftConfig {
        Objects.requireNonNull(id, "id");
        if (heartbeatTicks < 1) {
            throw new IllegalArgumentException("heartbeatTicks must be at least 1");
        }
        if (electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("electionTicks (" + electionTicks
                    + ") must be greater than heartbeatTicks (" + heartbeatTicks + ")");
        }
        if (maxBytesPerMessage < 1 || maxInflightMessages < 1 || snapshotTimeoutTicks < 1) {
            throw new IllegalArgumentException("message limits and snapshot timeout must be positive");
        }
        if (promotionMaxLag < 0) {
            throw new IllegalArgumentException("promotionMaxLag must not be negative (got " + promotionMaxLag + ")");
        }
    }

    public static RaftConfig defaults(String id) {
        return new RaftConfig(id, 15, 5, 1 << 20, 64, 150, true, true, DEFAULT_PROMOTION_MAX_LAG);
    }

    public RaftConfig withId(String newId) {
        return new RaftConfig(newId, electionTicks, heartbeatTicks, maxBytesPerMessage, maxInflightMessages,
                snapshotTimeoutTicks, checkQuorum, preVote, promotionMaxLag);
    }

    /** How far behind the leader's log a learner may be and still be promoted, unless configured otherwise. */
    public static final long DEFAULT_PROMOTION_MAX_LAG = 1000;
}
