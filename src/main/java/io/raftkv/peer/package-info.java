/**
 * The peer server: a web server of its own on {@code raftkv.peer-port}, apart from the client
 * server, so no path on the client port can reach a peer handler whatever its encoding. A plain
 * servlet serves exactly {@code GET /raft/stream} (a WebSocket upgrade: the long-lived stream peers
 * send their Raft messages over, see {@link io.raftkv.peer.PeerStreamEndpoint}), {@code POST
 * /raft/snapshot}, {@code /raft/join}, {@code GET /raft/info}, and the one-request-per-batch
 * {@code POST /raft/append}, {@code /raft/vote} and {@code /raft/timeout-now} that nodes of earlier
 * versions send, matched on the raw request URI. Before a body is read or a stream opened,
 * {@link io.raftkv.peer.PeerGate} checks the request: the shared secret, the cluster ID, that the
 * sender is a member, and with peer TLS that its client certificate names it; bodies and stream
 * batches are read with a bound. A renewed peer certificate is handed to the outbound client as well.
 *
 * <p>May use {@code config} (its settings and {@code PeerTls}), {@code node} (where messages go),
 * {@code raft}, {@code http} (problem bodies) and {@code web} (only the error valve, so both ports
 * answer errors alike). Nothing may use it: the client port must not know the peer port exists.
 */
package io.raftkv.peer;
