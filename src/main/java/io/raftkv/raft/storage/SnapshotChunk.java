package io.raftkv.raft.storage;

/** A piece of a snapshot file: {@code data} sits at {@code offset}; {@code last} when it ends the file. */
public record SnapshotChunk(long offset, byte[] data, boolean last) {
}
