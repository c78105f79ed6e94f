package io.raftkv.members;

import io.raftkv.raft.NotLeaderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One reconcile: on the leader, read the members and the desired size, plan, and carry out the one
 * step, waiting for it to commit. Anywhere else it does nothing. A problem (the size unreadable, a
 * step refused or timed out) changes nothing, shows in {@link #lastDecision()}, and is logged once
 * per distinct message until a step succeeds again, so a missing permission does not flood the log.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    /** Distinct problems remembered as logged; past this many the memory starts over. */
    private static final int MAX_REMEMBERED_PROBLEMS = 64;

    private final MembershipPort port;
    private final DesiredSize desiredSize;
    private final Planner planner;
    private final CatchUpTracker tracker;
    private final int minVoters;
    private final Duration stepTimeout;
    private final Clock clock;
    private final Set<String> logged = new HashSet<>();
    private volatile Decision last;

    public Reconciler(MembershipPort port, DesiredSize desiredSize, Planner planner, CatchUpTracker tracker,
                      int minVoters, Duration stepTimeout, Clock clock) {
        this.port = port;
        this.desiredSize = desiredSize;
        this.planner = planner;
        this.tracker = tracker;
        this.minVoters = minVoters;
        this.stepTimeout = stepTimeout;
        this.clock = clock;
        this.last = new Decision(clock.instant(), Decision.NONE, "autopilot has not run yet", null);
    }

    public Decision lastDecision() {
        return last;
    }

    public synchronized Decision reconcileOnce() {
        last = decide(clock.instant());
        return last;
    }

    private Decision decide(Instant now) {
        Members members;
        try {
            members = port.members();
        } catch (NotLeaderException e) {
            tracker.forget();
            return new Decision(now, Decision.NONE, "not the leader", null);
        } catch (RuntimeException e) {
            return problem(now, Decision.NONE, "the members are unknown, so nothing changes", "cannot read the members: " + e.getMessage());
        }
        OptionalInt desired;
        try {
            desired = desiredSize.get();
        } catch (DesiredSizeUnavailableException e) {
            return problem(now, Decision.NONE, "the desired size is unknown, so nothing changes", e.getMessage());
        }
        ClusterView view = ClusterView.of(members, desired, minVoters);
        tracker.observe(view, now);
        Plan plan = planner.plan(view, tracker);
        if (plan.step().isEmpty()) {
            return new Decision(now, Decision.NONE, plan.reason(), null);
        }
        Step step = plan.step().get();
        log.info("autopilot: {} ({})", step.describe(), plan.reason());
        try {
            execute(step).get(stepTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            return failed(now, step, plan, e.getCause() == null ? e : e.getCause());
        } catch (RuntimeException e) {
            return failed(now, step, plan, e);
        } catch (TimeoutException e) {
            return problem(now, step.describe(), plan.reason(), step.describe() + " did not finish within "
                    + stepTimeout.toSeconds() + "s; its outcome shows in the members next time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return problem(now, step.describe(), plan.reason(), "interrupted while waiting for " + step.describe());
        }
        if (step instanceof Step.Remove r && r.replacedBy() != null) {
            view.members().stream().filter(m -> m.id().equals(r.memberId())).findFirst()
                    .ifPresent(m -> tracker.replacing(m.name()));
        }
        logged.clear();
        return new Decision(now, step.describe(), plan.reason(), null);
    }

    private CompletableFuture<?> execute(Step step) {
        if (step instanceof Step.Promote) {
            return port.promote(step.memberId());
        }
        if (step instanceof Step.Remove) {
            return port.remove(step.memberId());
        }
        return port.transferLeadership(step.memberId());
    }

    private Decision failed(Instant now, Step step, Plan plan, Throwable cause) {
        if (cause instanceof NotLeaderException) {
            tracker.forget();
            return new Decision(now, step.describe(), plan.reason(), "lost leadership before it finished");
        }
        return problem(now, step.describe(), plan.reason(), step.describe() + " failed: " + cause.getMessage());
    }

    private Decision problem(Instant now, String action, String reason, String problem) {
        if (logged.size() >= MAX_REMEMBERED_PROBLEMS) {
            logged.clear();
        }
        if (logged.add(problem)) {
            log.warn("autopilot: {} ({})", problem, reason);
        }
        return new Decision(now, action, reason, problem);
    }
}
