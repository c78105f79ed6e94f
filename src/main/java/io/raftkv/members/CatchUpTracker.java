package io.raftkv.members;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the planner needs to know over time, fed with each reconcile's view: since when each learner
 * has been caught up (within {@code maxLagEntries} of the leader and heard from), when each member
 * was last heard, since when each learner has been unwanted, and which names are being replaced.
 * The reconciler's thread alone uses it; a node that loses leadership forgets it, so a new leader
 * waits the full times again rather than trusting another node's clock.
 */
public final class CatchUpTracker {
    private final long maxLagEntries;
    private final Map<String, Instant> caughtUpSince = new HashMap<>();
    private final Map<String, Instant> lastHeard = new HashMap<>();
    private final Map<String, Instant> unwantedSince = new HashMap<>();
    private final Set<String> replacing = new HashSet<>();
    private Instant now = Instant.EPOCH;

    public CatchUpTracker(long maxLagEntries) {
        if (maxLagEntries < 0) {
            throw new IllegalArgumentException("maxLagEntries must not be negative (got " + maxLagEntries + ")");
        }
        this.maxLagEntries = maxLagEntries;
    }

    public void observe(ClusterView view, Instant at) {
        now = at;
        Set<String> present = new HashSet<>();
        for (Member m : view.members()) {
            present.add(m.id());
            lastHeard.compute(m.id(), (id, t) -> m.recentlyHeard() || t == null ? at : t);
            if (!m.voter() && m.recentlyHeard() && m.lag() <= maxLagEntries) {
                caughtUpSince.putIfAbsent(m.id(), at);
            } else {
                caughtUpSince.remove(m.id());
            }
            if (!m.voter() && !MemberNames.wanted(m.name(), view.desiredSize())) {
                unwantedSince.putIfAbsent(m.id(), at);
            } else {
                unwantedSince.remove(m.id());
            }
        }
        caughtUpSince.keySet().retainAll(present);
        lastHeard.keySet().retainAll(present);
        unwantedSince.keySet().retainAll(present);
        // A replacement ends when its name is a voter again, or when no learner carries it any more.
        replacing.removeIf(name -> view.voters().stream().anyMatch(v -> v.name().equals(name))
                || view.learners().stream().noneMatch(l -> l.name().equals(name)));
    }

    /** How long this learner has been caught up without a break; zero if it is not now. */
    public Duration caughtUpFor(String id) {
        return since(caughtUpSince, id);
    }

    /** How long since the leader last heard from this member (since it was first seen, if never). */
    public Duration silentFor(String id) {
        return since(lastHeard, id);
    }

    /** How long this learner has been past the desired size; zero if it is wanted. */
    public Duration unwantedFor(String id) {
        return since(unwantedSince, id);
    }

    /** Autopilot removed the old member of this name: the learner carrying it is to be promoted. */
    public void replacing(String name) {
        replacing.add(name);
    }

    public Set<String> replacing() {
        return Set.copyOf(replacing);
    }

    /** This node is no longer the leader: what it saw says nothing about the next leader's view. */
    public void forget() {
        caughtUpSince.clear();
        lastHeard.clear();
        unwantedSince.clear();
        replacing.clear();
    }

    private Duration since(Map<String, Instant> times, String id) {
        Instant t = times.get(id);
        return t == null ? Duration.ZERO : Duration.between(t, now);
    }
}
