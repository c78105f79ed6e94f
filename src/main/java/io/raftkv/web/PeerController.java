package io.raftkv.web;

import io.raftkv.node.MessageCodec;
import io.raftkv.node.NodeStatus;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.SnapshotHeaders;
import io.raftkv.raft.Message;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The internal endpoints peers use, served only on {@code raftkv.peer-port}. Messages are one-way:
 * each request is accepted (204) once handed to the Raft loop; answers travel as requests of their own.
 */
@RestController
final class PeerController {
    private final RaftKvNode node;

    PeerController(RaftKvNode node) {
        this.node = node;
    }

    @PostMapping({"/raft/append", "/raft/vote", "/raft/timeout-now"})
    ResponseEntity<Object> messages(HttpServletRequest req, @RequestBody byte[] body) {
        List<Message> messages;
        try {
            messages = MessageCodec.decode(body);
        } catch (IllegalArgumentException e) {
            return Problems.of(HttpStatus.BAD_REQUEST, "bad-peer-message", e.getMessage());
        }
        String path = req.getRequestURI();
        for (Message m : messages) {
            if (!m.to().equals(node.directory().selfId())) {
                return Problems.of(HttpStatus.BAD_REQUEST, "misrouted-peer-message",
                        "a message for " + m.to() + " reached " + node.directory().selfId());
            }
            if (!endpointOf(m).equals(path)) {
                return Problems.of(HttpStatus.BAD_REQUEST, "bad-peer-message",
                        m.getClass().getSimpleName() + " does not belong on " + path);
            }
        }
        learn(req);
        node.receive(messages);
        return accepted();
    }

    @PostMapping("/raft/snapshot")
    ResponseEntity<Object> snapshotChunk(HttpServletRequest req,
                                         @RequestHeader(PeerDirectory.NODE_HEADER) String from,
                                         @RequestHeader(SnapshotHeaders.TO) String to,
                                         @RequestHeader(SnapshotHeaders.TERM) long term,
                                         @RequestHeader(SnapshotHeaders.INDEX) long index,
                                         @RequestHeader(SnapshotHeaders.SNAPSHOT_TERM) long snapshotTerm,
                                         @RequestHeader(SnapshotHeaders.OFFSET) long offset,
                                         @RequestHeader(SnapshotHeaders.LAST) boolean last,
                                         @RequestBody(required = false) byte[] body) throws IOException {
        if (!to.equals(node.directory().selfId())) {
            return Problems.of(HttpStatus.BAD_REQUEST, "misrouted-peer-message",
                    "a snapshot for " + to + " reached " + node.directory().selfId());
        }
        learn(req);
        boolean ok = node.snapshotInbox().accept(from, term, index, snapshotTerm, offset, last, body == null ? new byte[0] : body);
        if (!ok) {
            return Problems.of(HttpStatus.CONFLICT, "snapshot-out-of-order",
                    "chunk at " + offset + " does not continue the transfer in progress; start again at 0");
        }
        return accepted();
    }

    /** Who this node is and how far its log reaches; peers use it to learn client URLs. */
    @GetMapping(value = "/raft/info", produces = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> info() {
        NodeStatus s = node.status();
        return Map.of("id", s.id(), "clientUrl", node.directory().selfClientUrl(), "term", s.term(),
                "lastIndex", s.lastIndex(), "commitIndex", s.commitIndex());
    }

    private void learn(HttpServletRequest req) {
        node.directory().learned(req.getHeader(PeerDirectory.NODE_HEADER), req.getHeader(PeerDirectory.CLIENT_URL_HEADER));
    }

    private ResponseEntity<Object> accepted() {
        return ResponseEntity.noContent()
                .header(PeerDirectory.NODE_HEADER, node.directory().selfId())
                .header(PeerDirectory.CLIENT_URL_HEADER, node.directory().selfClientUrl())
                .build();
    }

    private static String endpointOf(Message m) {
        return io.raftkv.node.PeerTransport.endpointFor(m);
    }
}
