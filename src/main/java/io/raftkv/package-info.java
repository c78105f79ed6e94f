/**
 * raftkv: a Raft-replicated key-value store served over HTTP. The root package holds only the Spring
 * Boot entry point; it uses no other raftkv package, and Spring finds the rest by component scan.
 *
 * <p>The packages. Each uses only packages on lines below its own (its package-info says which),
 * never one above, so there are no cycles; {@code PackageRulesTest} enforces both.
 * <pre>
 *   peer           the peer port: Raft messages between nodes
 *   web            the client API on the client port
 *   security       bearer tokens and permissions
 *   ops            health and metrics
 *   config         raftkv.* properties and the node's wiring
 *   members        autopilot: reconciles the members toward a desired size
 *   node           the runtime: a thread-free driver, and shells that own threads and sockets
 *   watch          the window of applied changes that watches read and resume from
 *   kv             the replicated state machine
 *   raft.storage   the durable log, hard state and snapshots
 *   raft           the consensus core
 *   http           the problem+json body that every HTTP server of the node shares
 * </pre>
 */
package io.raftkv;
