package io.raftkv.raft;

/**
 * A follower asks the leader for a read index on behalf of one of its clients (dissertation §6.4:
 * "followers could help offload the processing of read-only queries"; etcd's {@code MsgReadIndex}).
 * The leader confirms its leadership with the heartbeat round it runs for its own reads and answers
 * with a {@link ReadIndexResponse}; a leader that can no longer confirm says nothing, and the
 * follower fails the read on a term change or after an election timeout.
 */
public record ReadIndexRequest(String from, String to, long term, long requestId) implements Message {
}
