package io.raftkv.raft;

/** Leadership transfer (dissertation §3.10): "start an election now", sent to an up-to-date follower. */
public record TimeoutNow(String from, String to, long term) implements Message {
}
