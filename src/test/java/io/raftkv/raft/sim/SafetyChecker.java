package io.raftkv.raft.sim;

import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Raft's safety properties (Figure 3), checked incrementally as the cluster runs:
 * <ul>
 *   <li>Election Safety: at most one leader per term.</li>
 *   <li>Leader Append-Only: a leader never overwrites or deletes entries in its log.</li>
 *   <li>Log Matching: two logs with an entry of the same index and term agree on it and on
 *       everything before it. Checked as: an (index, term) pair always names the same entry with
 *       the same predecessor term, which by induction gives the whole property.</li>
 *   <li>Leader Completeness: a new leader holds every entry committed before it was elected.</li>
 *   <li>State Machine Safety: no two nodes apply different entries at one index.</li>
 * </ul>
 * Also: a node's commit index never moves back within one life.
 */
final class SafetyChecker {
    private record LogPos(long index, long term) {
    }

    private record EntryFact(EntryType type, byte[] data, long prevTerm) {
        boolean sameAs(EntryFact o) {
            return type == o.type && prevTerm == o.prevTerm && Arrays.equals(data, o.data);
        }
    }

    private final Consumer<String> fail;
    private final Map<Long, String> leaderOfTerm = new HashMap<>();
    private final TreeMap<Long, Long> committedTerm = new TreeMap<>();
    private final Map<Long, Entry> appliedAt = new HashMap<>();
    private final Map<LogPos, EntryFact> entries = new HashMap<>();
    private final Map<String, Long> lastCommit = new HashMap<>();
    /** The term in which each node was last seen as leader after a completed Ready. */
    private final Map<String, Long> leaderTermOf = new HashMap<>();
    long elections;

    SafetyChecker(Consumer<String> fail) {
        this.fail = fail;
    }

    void beforePersist(LocalNode n, Ready rd) {
        RaftNode r = n.raft;
        Long wasLeaderIn = leaderTermOf.get(n.id);
        if (r.role() == Role.LEADER && wasLeaderIn != null && wasLeaderIn == r.term()) {
            if (rd.snapshot() != null) {
                fail.accept("Leader Append-Only: leader " + n.id + " of term " + r.term() + " installs a snapshot");
            }
            if (!rd.entries().isEmpty() && rd.entries().get(0).index() <= n.storage.log().lastIndex()) {
                fail.accept("Leader Append-Only: leader " + n.id + " of term " + r.term() + " overwrites its log from "
                        + rd.entries().get(0).index() + " (last stored " + n.storage.log().lastIndex() + ")");
            }
        }
    }

    void afterPersist(LocalNode n, Ready rd) {
        if (rd.entries().isEmpty()) {
            return;
        }
        long prevTerm = n.storage.log().term(rd.entries().get(0).index() - 1);
        for (Entry e : rd.entries()) {
            EntryFact fact = new EntryFact(e.type(), e.data(), prevTerm);
            EntryFact known = entries.putIfAbsent(new LogPos(e.index(), e.term()), fact);
            if (known != null && !known.sameAs(fact)) {
                fail.accept("Log Matching: " + n.id + " stored " + e + " after term " + prevTerm
                        + " but another log has a different entry or predecessor at that index and term");
            }
            prevTerm = e.term();
        }
    }

    void applied(LocalNode n, Entry e) {
        Entry other = appliedAt.putIfAbsent(e.index(), e);
        if (other != null && !other.equals(e)) {
            fail.accept("State Machine Safety: " + n.id + " applied " + e + " where another node applied " + other);
        }
        Long t = committedTerm.get(e.index());
        if (t != null && t != e.term()) {
            fail.accept("State Machine Safety: " + n.id + " applied " + e + " but the committed entry there has term " + t);
        }
    }

    void afterAdvance(LocalNode n, Ready rd) {
        RaftNode r = n.raft;
        long commit = r.commitIndex();
        Long last = lastCommit.get(n.id);
        if (last != null && commit < last) {
            fail.accept(n.id + " commit index went back from " + last + " to " + commit);
        }
        long from = Math.max(last == null ? 0 : last, r.firstIndex() - 1) + 1;
        for (long i = from; i <= commit; i++) {
            long t = r.termAt(i);
            Long known = committedTerm.putIfAbsent(i, t);
            if (known != null && known != t) {
                fail.accept("two different entries committed at index " + i + ": terms " + known + " and " + t
                        + " (" + n.id + ")");
            }
        }
        lastCommit.put(n.id, commit);

        if (r.role() == Role.LEADER) {
            Long before = leaderTermOf.put(n.id, r.term());
            if (before == null || before != r.term()) {
                onNewLeader(n);
            }
        } else {
            leaderTermOf.remove(n.id);
        }
    }

    private void onNewLeader(LocalNode n) {
        RaftNode r = n.raft;
        elections++;
        String other = leaderOfTerm.putIfAbsent(r.term(), n.id);
        if (other != null && !other.equals(n.id)) {
            fail.accept("Election Safety: " + n.id + " and " + other + " both lead term " + r.term());
        }
        for (Map.Entry<Long, Long> c : committedTerm.tailMap(r.firstIndex(), true).entrySet()) {
            if (r.termAt(c.getKey()) != c.getValue()) {
                fail.accept("Leader Completeness: new leader " + n.id + " of term " + r.term() + " has term "
                        + r.termAt(c.getKey()) + " at committed index " + c.getKey() + " (committed term " + c.getValue() + ")");
                return;
            }
        }
    }

    void onRestart(LocalNode n) {
        lastCommit.remove(n.id);
        leaderTermOf.remove(n.id);
    }

    void onCrash(LocalNode n) {
        lastCommit.remove(n.id);
        leaderTermOf.remove(n.id);
    }

    long highestCommitted() {
        return committedTerm.isEmpty() ? 0 : committedTerm.lastKey();
    }
}
