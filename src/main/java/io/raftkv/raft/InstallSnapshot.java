package io.raftkv.raft;

/**
 * InstallSnapshot (§7) for a follower that needs entries the leader has compacted away. The
 * transport may split {@code snapshot.data()} into chunks; the core sees it whole.
 */
public record InstallSnapshot(String from, String to, long term, Snapshot snapshot) implements Message {
}
