package io.raftkv.peer;

import io.raftkv.http.ProblemJson;

import io.raftkv.node.MessageCodec;
import io.raftkv.node.NodeStatus;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.PeerTransport;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.SnapshotHeaders;
import io.raftkv.raft.MembershipChangeException;
import io.raftkv.raft.Message;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.node.StreamFrames;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Extension;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import org.apache.tomcat.websocket.WsWebSocketContainer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The peer endpoints, matched exactly on the raw request URI (no decoding, no path parameters, no
 * dot segments): anything else is 404. Messages are one-way: they arrive over a stream the sender
 * opened ({@code GET /raft/stream}), or from a node of an earlier version as a request accepted (204)
 * once handed to the Raft loop; answers travel the same way in the other direction. A plain servlet, not Spring MVC: the
 * replication path stays short and nothing else is routed here.
 */
final class PeerServlet extends HttpServlet {
    private static final String CERTIFICATES = "jakarta.servlet.request.X509Certificate";

    private final transient RaftKvNode node;
    private final transient PeerGate gate;
    private final long maxBodyBytes;
    private final transient Consumer<String> refused;
    /** The peer server's WebSocket container (see PeerServer); null if it has none. */
    private transient ServerContainer streams;

    /**
     * @param maxBodyBytes largest message batch read (see {@link PeerTransport#maxBodyBytes})
     * @param refused      told the reason of every refused request (the {@code raftkv.peer.refused} metric)
     */
    PeerServlet(RaftKvNode node, PeerGate gate, long maxBodyBytes, Consumer<String> refused) {
        this.node = node;
        this.gate = gate;
        this.maxBodyBytes = maxBodyBytes;
        this.refused = refused;
    }

    @Override
    public void init() {
        streams = (ServerContainer) getServletContext().getAttribute(ServerContainer.class.getName());
        if (streams instanceof WsWebSocketContainer ws) {
            ws.setProcessPeriod(1); // idle streams are looked for every second, not every ten
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getRequestURI();
        String method = req.getMethod();
        switch (path) {
            case "/raft/append", "/raft/vote", "/raft/timeout-now", "/raft/snapshot" -> {
                if (!"POST".equals(method)) {
                    notAllowed(resp, path, "POST");
                } else if (takesPart(req, resp)) {
                    if (path.equals("/raft/snapshot")) {
                        snapshotChunk(req, resp);
                    } else {
                        messages(path, req, resp);
                    }
                }
            }
            case StreamFrames.PATH -> {
                if (!"GET".equals(method)) {
                    notAllowed(resp, path, "GET");
                } else if (takesPart(req, resp)) {
                    stream(req, resp);
                }
            }
            case "/raft/join" -> {
                if (!"POST".equals(method)) {
                    notAllowed(resp, path, "POST");
                } else if (admitted(req, resp)) {
                    join(req, resp);
                }
            }
            case "/raft/info" -> {
                if (!"GET".equals(method)) {
                    notAllowed(resp, path, "GET");
                } else if (admitted(req, resp, true)) {
                    info(req, resp);
                }
            }
            default -> problem(resp, 404, "not-found", "the peer port serves only /raft/stream, /raft/append, /raft/vote, "
                    + "/raft/timeout-now, /raft/snapshot, /raft/join and /raft/info");
        }
    }

    private boolean admitted(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        return admitted(req, resp, false);
    }

    /**
     * @param clusterOptional whether a request that names no cluster, or a removed sender, is taken:
     *                        only {@code /raft/info}, which a node with a new data directory asks before
     *                        it knows its cluster or its fate
     */
    private boolean admitted(HttpServletRequest req, HttpServletResponse resp, boolean clusterOptional) throws IOException {
        String cluster = req.getHeader(PeerDirectory.CLUSTER_HEADER);
        if (clusterOptional && cluster == null) {
            cluster = node.clusterId();
        }
        PeerGate.Refusal r = gate.admit(req.getHeader("Authorization"), cluster,
                req.getHeader(PeerDirectory.NODE_HEADER), (X509Certificate[]) req.getAttribute(CERTIFICATES), clusterOptional);
        if (r != null) {
            refuse(resp, r);
            return false;
        }
        return true;
    }

    private void messages(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        byte[] body = BoundedBody.read(req, maxBodyBytes);
        if (body == null) {
            problem(resp, 413, "peer-body-too-large", "a peer request body may be at most " + maxBodyBytes + " bytes");
            return;
        }
        List<Message> messages;
        try {
            messages = MessageCodec.decode(body);
        } catch (IllegalArgumentException e) {
            problem(resp, 400, "bad-peer-message", e.getMessage());
            return;
        }
        String sender = req.getHeader(PeerDirectory.NODE_HEADER);
        PeerGate.Refusal r = PeerGate.sentBy(sender, messages);
        if (r != null) {
            refuse(resp, r);
            return;
        }
        String self = node.directory().selfId();
        for (Message m : messages) {
            if (!m.to().equals(self)) {
                problem(resp, 400, "misrouted-peer-message", "a message for " + m.to() + " reached " + self);
                return;
            }
            if (!PeerTransport.endpointFor(m).equals(path)) {
                problem(resp, 400, "bad-peer-message", m.getClass().getSimpleName() + " does not belong on " + path);
                return;
            }
        }
        learn(req);
        node.receive(messages);
        accepted(resp);
    }

    /** Whether a request that carries Raft messages may be served: admitted, and this node takes part (else answered). */
    private boolean takesPart(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!admitted(req, resp)) {
            return false;
        }
        if (!node.confirmed()) {
            problem(resp, 503, "identity-unconfirmed", node.directory().selfId() + " has a new data directory "
                    + "and takes no part until every member has said it never heard from it before");
            return false;
        }
        return true;
    }

    /**
     * Upgrades an admitted request to a WebSocket over which the sender's messages arrive from now on
     * (see {@link PeerStreamEndpoint}). The answer carries this node's headers, as every answer does.
     */
    private void stream(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String sender = req.getHeader(PeerDirectory.NODE_HEADER);
        PeerStreamEndpoint endpoint = new PeerStreamEndpoint(node, gate, sender, req.getHeader(PeerDirectory.CLIENT_URL_HEADER),
                maxBodyBytes, refused);
        ServerEndpointConfig config = ServerEndpointConfig.Builder.create(PeerStreamEndpoint.class, StreamFrames.PATH)
                .configurator(new ServerEndpointConfig.Configurator() {
                    @Override
                    public <T> T getEndpointInstance(Class<T> type) {
                        return type.cast(endpoint);
                    }

                    /**
                     * No permessage-deflate, though clients ask for it: over TLS, a compressed batch
                     * carrying a value an attacker wrote beside other clients' values leaks them
                     * through its size (CRIME), and deflating every batch costs CPU the Raft and
                     * request threads need (loopback and data-centre links are not the bottleneck).
                     */
                    @Override
                    public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
                        return List.of();
                    }
                }).build();
        if (streams == null) {
            problem(resp, 503, "streams-unavailable", "this peer server cannot open streams");
            return;
        }
        learn(req);
        headers(resp);
        try {
            streams.upgradeHttpToWebSocket(req, resp, config, Map.of());
        } catch (DeploymentException e) {
            problem(resp, 500, "stream-failed", e.getMessage());
        }
    }

    private void snapshotChunk(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String self = node.directory().selfId();
        String to = req.getHeader(SnapshotHeaders.TO);
        long term;
        long index;
        long snapshotTerm;
        long offset;
        try {
            term = Long.parseLong(req.getHeader(SnapshotHeaders.TERM));
            index = Long.parseLong(req.getHeader(SnapshotHeaders.INDEX));
            snapshotTerm = Long.parseLong(req.getHeader(SnapshotHeaders.SNAPSHOT_TERM));
            offset = Long.parseLong(req.getHeader(SnapshotHeaders.OFFSET));
        } catch (NumberFormatException e) {
            problem(resp, 400, "bad-peer-message", "a snapshot chunk needs numeric term, index, snapshot term and offset headers");
            return;
        }
        String lastHeader = req.getHeader(SnapshotHeaders.LAST);
        if (!"true".equals(lastHeader) && !"false".equals(lastHeader) || offset < 0) {
            problem(resp, 400, "bad-peer-message", "a snapshot chunk needs a non-negative offset and a last header of true or false");
            return;
        }
        if (!self.equals(to)) {
            problem(resp, 400, "misrouted-peer-message", "a snapshot for " + to + " reached " + self);
            return;
        }
        byte[] body = BoundedBody.read(req, PeerTransport.SNAPSHOT_CHUNK_BYTES);
        if (body == null) {
            problem(resp, 413, "peer-body-too-large", "a snapshot chunk may be at most " + PeerTransport.SNAPSHOT_CHUNK_BYTES + " bytes");
            return;
        }
        learn(req);
        // The transfer is kept per sender, which the gate proved is a member: at most one open file per member.
        boolean ok = node.snapshotInbox().accept(req.getHeader(PeerDirectory.NODE_HEADER), term, index, snapshotTerm,
                offset, Boolean.parseBoolean(lastHeader), body);
        if (!ok) {
            problem(resp, 409, "snapshot-out-of-order",
                    "chunk at " + offset + " does not continue the transfer in progress; start again at 0");
            return;
        }
        accepted(resp);
    }

    /**
     * Who this node is, how far its log reaches, whether it takes part yet, and whether it ever heard
     * from the member asking (what a node with a new data directory must know, see IdentityCheck).
     */
    private void info(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        NodeStatus s = node.status();
        String json = "{\"id\":\"" + ProblemJson.escape(s.id()) + "\",\"clusterId\":\"" + node.clusterId() + "\",\"clientUrl\":\"" + ProblemJson.escape(node.directory().selfClientUrl())
                + "\",\"term\":" + s.term() + ",\"lastIndex\":" + s.lastIndex() + ",\"commitIndex\":" + s.commitIndex()
                + ",\"confirmed\":" + node.confirmed()
                + ",\"heardFromYou\":" + knows(s, req.getHeader(PeerDirectory.NODE_HEADER)) + "}";
        headers(resp);
        resp.setStatus(200);
        resp.setContentType("application/json");
        write(resp, json);
    }

    /**
     * A node with a new data directory asks to be added as a learner under its new member id (the
     * sender). Only the leader adds it; the others say who leads.
     */
    private void join(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String id = req.getHeader(PeerDirectory.NODE_HEADER);
        String peerUrl = req.getHeader(PeerTransport.JOIN_PEER_URL_HEADER);
        if (peerUrl == null || !peerUrl.matches("https?://[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}")) {
            problem(resp, 400, "bad-join", "a join names the joining member's peer URL (http(s)://host:port) in "
                    + PeerTransport.JOIN_PEER_URL_HEADER);
            return;
        }
        try {
            node.addLearner(id, peerUrl).get(5, TimeUnit.SECONDS);
            headers(resp);
            resp.setStatus(200);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof NotLeaderException nl) {
                problem(resp, 421, "not-leader", "ask the leader" + (nl.leaderHint() == null ? "" : ", " + nl.leaderHint()));
            } else if (c instanceof MembershipChangeException mc) {
                problem(resp, 409, "membership-change-in-progress", mc.getMessage());
            } else if (c instanceof IllegalArgumentException ia) {
                problem(resp, 409, "cannot-join", ia.getMessage());
            } else {
                problem(resp, 503, "join-failed", String.valueOf(c));
            }
        } catch (TimeoutException e) {
            problem(resp, 503, "join-pending", "adding " + id + " as a learner has not been applied yet; ask again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem(resp, 503, "join-failed", "interrupted");
        }
    }

    /**
     * Whether the asking member id may not be taken afresh: this node heard from it, or the cluster
     * removed it (a removed id never comes back, however little anyone remembers of it).
     */
    private boolean knows(NodeStatus s, String asker) {
        return asker != null && (node.heardFrom(asker) || s.membership().isRemoved(asker));
    }

    private void learn(HttpServletRequest req) {
        node.directory().learned(req.getHeader(PeerDirectory.NODE_HEADER), req.getHeader(PeerDirectory.CLIENT_URL_HEADER));
    }

    private void accepted(HttpServletResponse resp) {
        headers(resp);
        resp.setStatus(204);
    }

    private void headers(HttpServletResponse resp) {
        resp.setHeader(PeerDirectory.CLUSTER_HEADER, node.clusterId());
        resp.setHeader(PeerDirectory.NODE_HEADER, node.directory().selfId());
        resp.setHeader(PeerDirectory.CLIENT_URL_HEADER, node.directory().selfClientUrl());
    }

    private void refuse(HttpServletResponse resp, PeerGate.Refusal r) throws IOException {
        refused.accept(r.reason());
        problem(resp, r.status(), "peer-refused", r.detail());
    }

    private static void notAllowed(HttpServletResponse resp, String path, String allowed) throws IOException {
        resp.setHeader("Allow", allowed);
        problem(resp, 405, "method-not-allowed", path + " accepts only " + allowed);
    }

    static void problem(HttpServletResponse resp, int status, String slug, String detail) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/problem+json");
        write(resp, ProblemJson.of(status, slug, detail));
    }

    private static void write(HttpServletResponse resp, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** Reads a request body of at most {@code max} bytes, without trusting Content-Length to be honest or present. */
    static final class BoundedBody {
        private BoundedBody() {
        }

        /** The body, or null if it is longer than {@code max} (then the rest is left unread). */
        static byte[] read(HttpServletRequest req, long max) throws IOException {
            long declared = req.getContentLengthLong();
            if (declared > max) {
                return null;
            }
            try (InputStream in = req.getInputStream()) {
                return read(in, max);
            }
        }

        static byte[] read(InputStream in, long max) throws IOException {
            byte[] body = in.readNBytes((int) Math.min(max, Integer.MAX_VALUE - 8));
            return in.read() < 0 ? body : null;
        }
    }
}
