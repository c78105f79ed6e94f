/**
 * The Raft consensus core: a pure state machine with no threads, clocks, sockets or files.
 *
 * <p>A {@link io.raftkv.raft.RaftNode} is stepped by {@link io.raftkv.raft.Message}s and by
 * {@link io.raftkv.raft.RaftNode#tick()}, and hands back a {@link io.raftkv.raft.Ready}: what to
 * persist, what to send and what has committed. Everything from the outside world (storage,
 * randomness, time as ticks) is handed in, which is what lets one thread drive a whole simulated
 * cluster deterministically in the tests.
 *
 * <p>May use no other raftkv package ({@code raft.storage} implements its storage interfaces, not the
 * other way round), no Spring, no file, NIO-channel, socket or thread classes and no clock reads;
 * {@code PackageRulesTest} enforces it.
 */
package io.raftkv.raft;
