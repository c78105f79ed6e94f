package io.raftkv.raft;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A follower's reads sent to the leader for a read index (§6.4), waiting for its answer. Only an answer
 * from the leader the read was sent to, in the term it was sent in, releases a read: an index from any
 * other node could come from a deposed leader and be stale. Reads that cannot be answered any more (the
 * term or the leader changed) or were not answered within a deadline are handed back as failed, so
 * their callers hear a clear "not confirmed" instead of waiting for ever.
 */
final class ForwardedReads {
    private static final class Forwarded {
        final String leader;
        final long term;
        int age;

        Forwarded(String leader, long term) {
            this.leader = leader;
            this.term = term;
        }
    }

    private final Map<Long, Forwarded> pending = new LinkedHashMap<>();

    /** Read {@code requestId} was sent to {@code leader} in {@code term}. */
    void add(long requestId, String leader, long term) {
        pending.put(requestId, new Forwarded(leader, term));
    }

    /** The read {@code r} answers, if {@code r} comes from the leader and term that read was sent to; else null. */
    ReadState answer(ReadIndexResponse r) {
        Forwarded f = pending.get(r.requestId());
        if (f == null || !f.leader.equals(r.from()) || f.term != r.term()) {
            return null;
        }
        pending.remove(r.requestId());
        return new ReadState(r.requestId(), r.index());
    }

    /** One tick passed; returns the reads that have now waited {@code maxTicks} without an answer. */
    List<Long> tick(int maxTicks) {
        List<Long> expired = new ArrayList<>();
        for (Iterator<Map.Entry<Long, Forwarded>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Forwarded> e = it.next();
            if (++e.getValue().age >= maxTicks) {
                expired.add(e.getKey());
                it.remove();
            }
        }
        return expired;
    }

    /** The term or leader changed: no read waiting here can be answered any more. Returns them all. */
    List<Long> clear() {
        List<Long> all = new ArrayList<>(pending.keySet());
        pending.clear();
        return all;
    }
}
