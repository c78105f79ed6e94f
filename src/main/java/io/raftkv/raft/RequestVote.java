package io.raftkv.raft;

/**
 * RequestVote (§5.2), or a PreVote (dissertation §9.6) when {@code preVote}: a pre-vote asks
 * "would you vote for me in {@code term}?" without anyone changing their term.
 * {@code transfer} marks an election started by TimeoutNow, which voters must not ignore for
 * having heard from a leader recently (§3.10).
 */
public record RequestVote(String from, String to, long term, long lastLogIndex, long lastLogTerm,
                          boolean preVote, boolean transfer) implements Message {
}
