package io.raftkv.raft;

import java.util.List;

/** AppendEntries (§5.3): entries after {@code prevLogIndex}, and the leader's commit index. */
public record AppendEntries(String from, String to, long term, long prevLogIndex, long prevLogTerm,
                            List<Entry> entries, long leaderCommit) implements Message {
    public AppendEntries {
        entries = List.copyOf(entries);
    }

    @Override
    public String toString() {
        return "AppendEntries[" + from + "->" + to + " t" + term + " prev=" + prevLogIndex + "@" + prevLogTerm
                + " n=" + entries.size() + " commit=" + leaderCommit + "]";
    }
}
