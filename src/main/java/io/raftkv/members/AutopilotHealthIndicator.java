package io.raftkv.members;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code autopilot} health component: the last decision, and UNKNOWN with the problem when the
 * last reconcile hit one (a desired size it could not read, a change that failed). Not part of
 * liveness or readiness: autopilot's trouble never takes a serving node out of the Service.
 */
public final class AutopilotHealthIndicator implements HealthIndicator {
    private final Reconciler reconciler;

    public AutopilotHealthIndicator(Reconciler reconciler) {
        this.reconciler = reconciler;
    }

    @Override
    public Health health() {
        Decision d = reconciler.lastDecision();
        Health.Builder b = d.problem() == null ? Health.up() : Health.status(Status.UNKNOWN).withDetail("problem", d.problem());
        return b.withDetail("action", d.action()).withDetail("reason", d.reason()).withDetail("at", d.at().toString()).build();
    }
}
