package io.raftkv.raft;

/**
 * The answer to AppendEntries, and also to InstallSnapshot (a snapshot is an append of everything
 * up to its index).
 *
 * <p>On success {@code index} is the last index now known to match the leader. On rejection
 * {@code index} is the rejected {@code prevLogIndex}, and ({@code hintIndex}, {@code hintTerm}) is
 * the follower's last entry at or below it whose term is not above the leader's term there: the
 * leader can jump back over a whole conflicting term at once (§5.3, "fast backtracking").
 */
public record AppendEntriesResponse(String from, String to, long term, boolean success, long index,
                                    long hintIndex, long hintTerm) implements Message {

    public static AppendEntriesResponse accept(String from, String to, long term, long index) {
        return new AppendEntriesResponse(from, to, term, true, index, 0, 0);
    }
}
