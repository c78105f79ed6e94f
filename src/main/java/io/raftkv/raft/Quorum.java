package io.raftkv.raft;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The majority rule of one voter set, and the only place the cluster counts to a quorum (etcd's
 * {@code quorum.MajorityConfig}). Commit (§5.3), votes and pre-votes (§5.2, dissertation §9.6),
 * CheckQuorum (dissertation §6.2) and ReadIndex (dissertation §6.4) all ask it, so a change to what
 * a majority is (learners, joint consensus) happens here once. Ids that are not voters never count:
 * a leader that has just removed itself, for one, is not part of its own majority.
 */
public final class Quorum {
    /** The outcome of an election so far. */
    public enum VoteResult { PENDING, WON, LOST }

    private final List<String> voters;

    public Quorum(Collection<String> voters) {
        this.voters = List.copyOf(voters);
    }

    /** Smallest number of {@code voters} that is a majority. */
    public static int majority(int voters) {
        return voters / 2 + 1;
    }

    /**
     * Whether a majority of the voters satisfy {@code agrees}. An empty voter set agrees to nothing,
     * so it can neither elect, commit nor confirm a read.
     */
    public boolean hasQuorum(Predicate<String> agrees) {
        return voters.stream().filter(agrees).count() >= majority(voters.size());
    }

    /**
     * WON once a majority granted, LOST once so many refused that the rest cannot make a majority,
     * PENDING otherwise. A voter absent from {@code votes} has not answered yet.
     */
    public VoteResult voteResult(Map<String, Boolean> votes) {
        if (hasQuorum(v -> Boolean.TRUE.equals(votes.get(v)))) {
            return VoteResult.WON;
        }
        boolean couldStillWin = hasQuorum(v -> !Boolean.FALSE.equals(votes.get(v)));
        return couldStillWin ? VoteResult.PENDING : VoteResult.LOST;
    }

    /**
     * The highest index that a majority of voters hold, given each voter's match index (a voter with
     * no progress counts as 0). Whether that index may be committed is the caller's question: only
     * through an entry of the current term (§5.4.2).
     */
    public long committedIndex(ToLongFunction<String> match) {
        if (voters.isEmpty()) {
            return 0;
        }
        long[] matches = voters.stream().mapToLong(match).toArray();
        Arrays.sort(matches);
        return matches[matches.length - majority(matches.length)];
    }
}
