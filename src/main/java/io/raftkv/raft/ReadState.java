package io.raftkv.raft;

/**
 * A confirmed ReadIndex (§6.4): the read identified by {@code requestId} may be served once the
 * state machine has applied {@code index}.
 */
public record ReadState(long requestId, long index) {
}
