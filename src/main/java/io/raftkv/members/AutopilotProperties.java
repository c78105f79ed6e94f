package io.raftkv.members;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Autopilot ({@code raftkv.autopilot.*}): the leader reconciles the members toward the desired size.
 * Invalid values stop the start-up with a message naming the property.
 *
 * @param enabled       reconcile at all; off, members change only through the admin API
 * @param maxLagEntries a learner is caught up while it is at most this many entries behind the leader
 * @param stableFor     ... and is promoted once it has been caught up (and heard from) this long without a break
 * @param deadAfter     a member not heard from this long is dead; a dead learner whose name came back
 *                      as a new member is removed, a dead voter is reported and left alone
 * @param minVoters     scale-down never goes below this many voters (nor below the voters there are)
 * @param interval      time between two reconciles
 * @param learnerGrace  a learner past the desired size is removed after this long (it may be a pod
 *                      that started just before the size was raised)
 * @param stepTimeout   how long one change may take to commit before autopilot reports it and looks again
 * @param kubernetes    the desired size from the node's own StatefulSet
 */
@ConfigurationProperties("raftkv.autopilot")
public record AutopilotProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("250") long maxLagEntries,
        @DefaultValue("10s") Duration stableFor,
        @DefaultValue("2m") Duration deadAfter,
        @DefaultValue("3") int minVoters,
        @DefaultValue("5s") Duration interval,
        @DefaultValue("2m") Duration learnerGrace,
        @DefaultValue("30s") Duration stepTimeout,
        @DefaultValue Kubernetes kubernetes) {

    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

    public AutopilotProperties {
        if (maxLagEntries < 0) {
            throw new IllegalArgumentException("raftkv.autopilot.max-lag-entries must not be negative (got " + maxLagEntries + ")");
        }
        if (stableFor.isNegative() || learnerGrace.isNegative()) {
            throw new IllegalArgumentException("raftkv.autopilot.stable-for and learner-grace must not be negative");
        }
        if (deadAfter.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("raftkv.autopilot.dead-after must be at least 1s (got " + deadAfter + ")");
        }
        if (minVoters < 1 || minVoters > DesiredSize.MAX) {
            throw new IllegalArgumentException("raftkv.autopilot.min-voters must be from 1 to " + DesiredSize.MAX + " (got " + minVoters + ")");
        }
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("raftkv.autopilot.interval must be at least 100ms (got " + interval + ")");
        }
        if (stepTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("raftkv.autopilot.step-timeout must be at least 1s (got " + stepTimeout + ")");
        }
    }

    /**
     * @param enabled     read the desired size from {@code spec.replicas} of the StatefulSet (the Helm
     *                    chart sets this, with the two below, from the pod's environment)
     * @param namespace   the StatefulSet's namespace
     * @param statefulSet the StatefulSet's name
     */
    public record Kubernetes(@DefaultValue("false") boolean enabled, @DefaultValue("") String namespace,
                             @DefaultValue("") String statefulSet) {
        public Kubernetes {
            if (enabled && (namespace == null || !namespace.matches(DNS_LABEL))) {
                throw new IllegalArgumentException("raftkv.autopilot.kubernetes.namespace must name the StatefulSet's namespace"
                        + " when raftkv.autopilot.kubernetes.enabled is true (got '" + namespace + "')");
            }
            if (enabled && (statefulSet == null || !statefulSet.matches(DNS_LABEL + "(\\." + DNS_LABEL + ")*"))) {
                throw new IllegalArgumentException("raftkv.autopilot.kubernetes.stateful-set must name this node's StatefulSet"
                        + " when raftkv.autopilot.kubernetes.enabled is true (got '" + statefulSet + "')");
            }
        }
    }
}
