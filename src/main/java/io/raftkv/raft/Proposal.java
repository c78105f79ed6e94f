package io.raftkv.raft;

/**
 * Where a proposed entry landed in the leader's log. The entry committed exactly when the entry
 * applied at {@code index} has this {@code term}; any other term there means it was overwritten and
 * will never commit.
 */
public record Proposal(long index, long term) {
}
