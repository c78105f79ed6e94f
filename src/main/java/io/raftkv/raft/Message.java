package io.raftkv.raft;

/**
 * Everything Raft nodes say to each other. Every message carries the sender's term; a receiver
 * that sees a higher term adopts it first (Figure 2, "Rules for Servers").
 */
public sealed interface Message
        permits RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse,
                Heartbeat, HeartbeatResponse, InstallSnapshot, TimeoutNow, ReadIndexRequest, ReadIndexResponse {

    String from();

    String to();

    long term();

    /**
     * Requests a leader sends to followers may leave before the leader's own Ready is persisted:
     * the leader's term was made durable when it was a candidate, and a leader may write its log in
     * parallel with replicating it (dissertation §10.2.1). Everything else (votes, responses) may
     * only leave after the Ready that produced it is durable.
     */
    default boolean sendableBeforePersist() {
        return this instanceof AppendEntries || this instanceof Heartbeat
                || this instanceof InstallSnapshot || this instanceof TimeoutNow;
    }
}
