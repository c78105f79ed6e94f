/**
 * Autopilot: the leader reconciles the cluster's members toward a desired size, one safe membership
 * change at a time, as Consul's and Vault's autopilot and etcd's learner promotion do.
 *
 * <ul>
 *   <li>{@link io.raftkv.members.Planner} is a pure function from what the leader sees
 *       ({@link io.raftkv.members.ClusterView}) to the one next step ({@link io.raftkv.members.Step}):
 *       promote a learner that has been caught up for a while, replace a member whose name came
 *       back with a new member id (a lost disk), remove the highest ordinals on scale-down (handing
 *       leadership over first), drop learners nobody wants, never go below the minimum.
 *       {@link io.raftkv.members.CatchUpTracker} remembers what the planner needs over time.</li>
 *   <li>{@link io.raftkv.members.Reconciler} runs it on the leader through a
 *       {@link io.raftkv.members.MembershipPort} (the node's membership API) and keeps the last
 *       {@link io.raftkv.members.Decision} for {@code /cluster} and health;
 *       {@link io.raftkv.members.AutopilotSchedule} runs it periodically.</li>
 *   <li>{@link io.raftkv.members.DesiredSize}: a value replicated through the log
 *       ({@link io.raftkv.members.MembershipDesiredSize}, set by {@code PUT /cluster/size}) or the node's StatefulSet's
 *       {@code spec.replicas} ({@link io.raftkv.members.StatefulSetReplicas}, fabric8).</li>
 * </ul>
 *
 * <p>May use {@code raft} and {@code node}. It may not use {@code web}, {@code config},
 * {@code security}, {@code ops} or {@code peer}: those sit above it (the web layer shows the
 * decision and takes {@code PUT /cluster/size}; the node's wiring supplies the port).
 */
package io.raftkv.members;
