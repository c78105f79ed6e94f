/**
 * What operators see through Spring Boot Actuator: the {@code raft} health component (role, term,
 * leader, commit and applied index; in the readiness group), {@code raftNode} liveness, the store
 * quota's health, and gauges of the node's published status and limits for Prometheus.
 *
 * <p>Read-only: it reads the node's published status ({@code node}) and never steps, writes or
 * routes anything. Roles are shown with {@link io.raftkv.raft.Role#label()}, as {@code /cluster}
 * shows them. May use {@code node} and {@code raft}; may not use {@code web}, {@code security},
 * {@code peer} or {@code config}.
 */
package io.raftkv.ops;
