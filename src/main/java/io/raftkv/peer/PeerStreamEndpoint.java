package io.raftkv.peer;

import io.raftkv.node.MessageCodec;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.StreamFrames;
import io.raftkv.raft.Message;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/**
 * One peer's stream into this node, after {@link PeerServlet} admitted its upgrade request (secret,
 * cluster, sender, certificate). Every batch is held to what a request body was: at most the peer
 * body bound, only messages from the admitted sender and for this node, and never from a member
 * removed since the stream opened. A batch that breaks a rule closes the stream (the sender opens
 * a new one, and is refused there if it is no longer welcome).
 */
final class PeerStreamEndpoint extends Endpoint {
    private static final Logger log = LoggerFactory.getLogger(PeerStreamEndpoint.class);
    /**
     * A stream whose sender has gone quiet this long is closed: a live sender pings every second
     * (PeerClient), so one silent for five has gone without a trace (its connection was reset on its
     * side only, or a NAT dropped it). Such streams must not pile up: under frequent resets they had
     * filled the peer server's connections within seconds, and new streams found no room.
     */
    static final long IDLE_TIMEOUT_MILLIS = 5_000;

    private final RaftKvNode node;
    private final PeerGate gate;
    private final String sender;
    /** Where the sender takes clients, as its upgrade said; null if it did not say. */
    private final String senderClientUrl;
    private final long maxBatchBytes;
    private final Consumer<String> refused;

    PeerStreamEndpoint(RaftKvNode node, PeerGate gate, String sender, String senderClientUrl, long maxBatchBytes,
                       Consumer<String> refused) {
        this.node = node;
        this.gate = gate;
        this.sender = sender;
        this.senderClientUrl = senderClientUrl;
        this.maxBatchBytes = maxBatchBytes;
        this.refused = refused;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(IDLE_TIMEOUT_MILLIS);
        // Closing a silent stream sends a close frame that will never be answered: drop the
        // connection a second later rather than after Tomcat's default 30 s.
        session.getUserProperties().put("org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT", 1000L);
        StreamFrames.Assembler assembler = new StreamFrames.Assembler(maxBatchBytes);
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Partial<ByteBuffer>) (part, last) -> {
            if (!session.isOpen()) {
                return; // closed for a broken rule: nothing after that batch is taken
            }
            byte[] batch;
            try {
                batch = assembler.accept(part, last);
            } catch (IllegalArgumentException e) {
                close(session, "peer-body-too-large-or-malformed", e.getMessage());
                return;
            }
            if (batch != null) {
                deliver(session, batch);
            }
        });
    }

    private void deliver(Session session, byte[] batch) {
        List<Message> messages;
        try {
            messages = MessageCodec.decode(batch);
        } catch (IllegalArgumentException e) {
            close(session, "bad-peer-message", e.getMessage());
            return;
        }
        PeerGate.Refusal r = PeerGate.sentBy(sender, messages);
        if (r == null) {
            r = gate.removed(sender);
        }
        if (r != null) {
            refused.accept(r.reason());
            close(session, r.reason(), r.detail());
            return;
        }
        String self = node.directory().selfId();
        for (Message m : messages) {
            if (!m.to().equals(self)) {
                close(session, "misrouted-peer-message", "a message for " + m.to() + " reached " + self);
                return;
            }
        }
        learnClientUrl();
        node.receive(messages);
    }

    /**
     * Learns where the sender takes clients until it is known. Not only at the upgrade: a node that
     * joins learns the membership from the leader's first appends, after the leader's streams opened,
     * and until then it takes no client URL from a sender it does not know as a member (it could not
     * send its clients to its leader).
     */
    private void learnClientUrl() {
        if (senderClientUrl != null && node.directory().clientUrl(sender).isEmpty()) {
            node.directory().learned(sender, senderClientUrl);
        }
    }

    /** Closes the stream with a policy violation (1008) that says why; the reason must fit a close frame. */
    private void close(Session session, String slug, String detail) {
        log.warn("closing the stream from {}: {} ({})", sender, slug, detail);
        String reason = (slug + ": " + detail).replaceAll("[^\\x20-\\x7e]", "?");
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, reason.length() > 120 ? reason.substring(0, 120) : reason));
        } catch (IOException e) {
            log.debug("closing the stream from {} failed: {}", sender, e.toString());
        }
    }
}
