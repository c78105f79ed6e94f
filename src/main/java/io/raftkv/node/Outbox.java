package io.raftkv.node;

import io.raftkv.raft.Message;

/**
 * Where the driver's outgoing messages go: the peer transport, the simulator's network, or a list in
 * a test. Must not block and must not call back into the driver; delivery is best effort, as Raft
 * expects of a network.
 */
public interface Outbox {
    void send(Message m);
}
