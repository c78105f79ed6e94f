package io.raftkv.raft;

/** The answer to a (pre-)vote. A granted pre-vote carries the term the candidate asked about. */
public record RequestVoteResponse(String from, String to, long term, boolean granted, boolean preVote)
        implements Message {
}
