package io.raftkv.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A leader's ReadIndex requests waiting for proof that it is still leader (dissertation §6.4, etcd's
 * {@code read_only.go}). Each read keeps the commit index of the moment it arrived and waits for the
 * next heartbeat round; once a majority has answered that round (or a later one), the leader was
 * still leader after the read arrived, so the read may be served at that index. Rounds are numbered
 * and reads queue in arrival order, so one answer releases every read up to the newest it covers.
 */
final class ReadIndexQueue {
    private record PendingRead(long requestId, long index, long round) {
    }

    private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
    /** Reads that arrived before this leader committed an entry of its term (§6.4 step 1). */
    private final List<Long> parked = new ArrayList<>();
    /** Highest round each voter has answered. */
    private final Map<String, Long> acked = new HashMap<>();
    /**
     * The round the latest heartbeats carry. Never reset, so an answer from an earlier leadership
     * can never pass for one of this leadership (terms already filter those, this is belt and braces).
     */
    private long round;

    /** A read that must wait until this leader's commit index is current. */
    void park(long requestId) {
        parked.add(requestId);
    }

    /** The leader has committed an entry of its term: the parked reads are ready to queue. */
    List<Long> unpark() {
        List<Long> out = List.copyOf(parked);
        parked.clear();
        return out;
    }

    /** Queues a read at {@code index} for the next round; the leader itself ({@code self}) confirms it at once. */
    void add(long requestId, long index, String self) {
        pending.addLast(new PendingRead(requestId, index, round + 1));
        ack(self, round + 1);
    }

    /**
     * Starts the round that confirms the reads added since the last one, if any, and if no earlier
     * round still waits for its majority: the caller then broadcasts heartbeats carrying
     * {@link #round()}. One round in flight at a time (as etcd's read loop does): reads that arrive
     * meanwhile all ride the next one, so a stream of reads costs one heartbeat round per round trip,
     * not one per turn of the loop. A round whose answers are lost is carried again by the periodic
     * heartbeats, which is what keeps the queue moving.
     */
    boolean startRound() {
        if (pending.isEmpty() || pending.peekLast().round() <= round) {
            return false;
        }
        if (pending.peekFirst().round() <= round) {
            return false; // the oldest waiting read belongs to a round a majority has not answered yet
        }
        round++;
        return true;
    }

    /** The round heartbeats carry now. */
    long round() {
        return round;
    }

    /** {@code voter} answered a heartbeat of {@code answeredRound}. */
    void ack(String voter, long answeredRound) {
        acked.merge(voter, answeredRound, Math::max);
    }

    /** Removes and returns, oldest first, every read a majority of {@code quorum} has confirmed. */
    List<ReadState> release(Quorum quorum) {
        List<ReadState> out = new ArrayList<>();
        while (!pending.isEmpty()) {
            PendingRead head = pending.peekFirst();
            if (!quorum.hasQuorum(v -> acked.getOrDefault(v, 0L) >= head.round())) {
                break;
            }
            pending.pollFirst();
            out.add(new ReadState(head.requestId(), head.index()));
        }
        return out;
    }

    /** Leadership changed hands: no read waiting here may be served by this node any more. */
    void clear() {
        pending.clear();
        parked.clear();
        acked.clear();
    }
}
