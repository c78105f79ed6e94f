/**
 * The runtime that turns the Raft core into a service, split in two so that the simulator runs the
 * production logic itself (as FoundationDB and TigerBeetle do):
 *
 * <ul>
 *   <li><b>The driver</b>: {@link io.raftkv.node.NodeDriver} carries out each Ready in Raft's order,
 *       holds the pending writes and linearizable reads and gives each its answer (written, not
 *       applied, outcome unknown; a read only once its read index is applied), saves snapshots,
 *       hands leadership over on stop, and answers everything queued when storage fails. It is
 *       stepped synchronously and reaches the outside only through small interfaces: storage
 *       ({@code raft}'s), {@link io.raftkv.node.Outbox}, {@link io.raftkv.node.Applier} (with
 *       {@link io.raftkv.node.DirectApplier} applying to a {@link io.raftkv.node.StateMachine}),
 *       {@link io.raftkv.node.SnapshotSaver} and {@link io.raftkv.node.Clock}, each with an in-memory
 *       or synchronous twin in the tests. It starts no thread,
 *       opens no socket or file and reads no clock of its own.</li>
 *   <li><b>The shells</b>: {@link io.raftkv.node.RaftLoop} (the one thread that steps the driver),
 *       {@link io.raftkv.node.ApplyLoop} (the apply thread), {@link io.raftkv.node.PeerTransport}
 *       (sockets, a sender per peer), {@link io.raftkv.node.RaftTicker} (the tick),
 *       {@link io.raftkv.node.BackgroundSnapshotSaver} (the snapshot writer thread) and
 *       {@link io.raftkv.node.NodeLifecycle}. They own threads, sockets and the wall clock and do
 *       nothing but feed the driver and carry out what it returns. {@link io.raftkv.node.RaftKvNode}
 *       is built from injected parts, so tests can run a node, or a cluster, in one process.</li>
 * </ul>
 * Also here: the peer wire format ({@code MessageCodec}), the client limits ({@code Backpressure},
 * {@code StoreQuota}) and the status the node publishes for routing, health and {@code /cluster}.
 *
 * <p>May use {@code raft}, {@code raft.storage} and {@code kv}. It may not use {@code web},
 * {@code security}, {@code peer}, {@code ops}, {@code config} or {@code http}: those sit above it and
 * talk to it through {@code RaftKvNode} and {@code NodeStatus}. Spring appears only in the shells that
 * tie threads to the application's lifecycle. {@code PackageRulesTest} holds the driver's files to the
 * same rules as the Raft core.
 */
package io.raftkv.node;
