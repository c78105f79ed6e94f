/**
 * The runtime that turns the Raft core into a service, split in two so that the simulator runs the
 * production logic itself (as FoundationDB and TigerBeetle do):
 *
 * <ul>
 *   <li><b>The driver</b> ({@code NodeDriver} and the small classes it uses): the Ready handling
 *       (persist, then send, then apply, in Raft's order), the pending writes and linearizable reads
 *       and the answer each gets (written, not applied, outcome unknown; a read only once its read
 *       index is applied), the apply and snapshot policy, leadership transfer on stop, and the
 *       reaction to a storage failure (every queued request answered, none dropped). It is stepped
 *       synchronously and reaches the outside only through small interfaces (storage, outbox, state
 *       machine, clock, applier), each with an in-memory twin. It starts no thread, opens no socket
 *       or file, and never reads a clock: time arrives as ticks.</li>
 *   <li><b>The shells</b> ({@code RaftLoop}, {@code ApplyLoop}, {@code PeerTransport},
 *       {@code RaftTicker}, {@code NodeLifecycle}): they own threads, sockets and the wall clock, and
 *       do nothing but feed the driver and carry out what it returns. {@code RaftKvNode} assembles a
 *       node from injected parts, so tests can build one (or an in-process cluster) without
 *       starting processes.</li>
 * </ul>
 * Also here: the peer wire format ({@code MessageCodec}), client limits ({@code Backpressure},
 * {@code StoreQuota}) and the status the node publishes for routing, health and {@code /cluster}.
 *
 * <p>May use {@code raft}, {@code raft.storage} and {@code kv}. It may not use {@code web},
 * {@code security}, {@code peer}, {@code ops}, {@code config} or {@code http}: those sit above it and
 * talk to it through {@code RaftKvNode} and {@code NodeStatus}. Spring appears only in the shells that
 * tie threads to the application's lifecycle.
 */
package io.raftkv.node;
