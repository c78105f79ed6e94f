package io.raftkv.raft;

/**
 * InstallSnapshot (§7) for a follower that needs entries the leader has compacted away. The
 * transport may send the snapshot's bytes in chunks; the core sees it whole.
 */
public record InstallSnapshot(String from, String to, long term, Snapshot snapshot) implements Message {
}
