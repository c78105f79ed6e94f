package io.raftkv.raft;

/**
 * What a node must never forget across a crash (Figure 2, "persistent state"): the latest term it
 * has seen and whom it voted for in that term. The log itself is persisted separately.
 */
public record HardState(long term, String votedFor) {
    public static final HardState EMPTY = new HardState(0, null);
}
