package io.raftkv.raft;

/**
 * A leader's periodic "I am still here". It carries no entries and no log position, so it cannot
 * be rejected for a log mismatch. {@code commit} is never beyond what the follower is known to hold.
 * {@code readRound} confirms pending ReadIndex requests (§6.4): a follower echoing it proves the
 * leader was still leader after those reads arrived.
 */
public record Heartbeat(String from, String to, long term, long commit, long readRound) implements Message {
}
