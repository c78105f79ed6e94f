package io.raftkv.raft;

/**
 * The leader's answer to a {@link ReadIndexRequest}: a majority confirmed it was still leader after the
 * request arrived, when its commit index was {@code index}. The follower may serve the read once it has
 * applied {@code index}.
 */
public record ReadIndexResponse(String from, String to, long term, long requestId, long index) implements Message {
}
