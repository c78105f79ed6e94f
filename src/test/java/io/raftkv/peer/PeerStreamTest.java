package io.raftkv.peer;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.node.BlackholeProxy;
import io.raftkv.node.MessageCodec;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.StreamFrames;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.storage.DurableStorage;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The peer server's streams, over a real socket: the upgrade passes the same gate as every peer
 * request, and each batch on an open stream is held to the rules a request body was.
 */
class PeerStreamTest {

    @TempDir
    Path dir;
    private RaftKvNode node;
    private PeerServer server;
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void open() throws Exception {
        node = PeerTestNodes.existingMember(dir);
        node.start(); // steps what arrives, so a batch that got through would show in the node's term
        PeerServlet servlet = new PeerServlet(node, new PeerGate(node.clusterId(), "s", false, node.directory()::membership), 1000, refused::add);
        server = new PeerServer(0, servlet, "", null, 4, 16);
        server.start();
    }

    @AfterEach
    void close() {
        server.stop();
        node.close();
    }

    private Request.Builder upgrade(String secret, String cluster, String sender) {
        Request.Builder b = new Request.Builder().url("http://127.0.0.1:" + server.port() + StreamFrames.PATH)
                .header("X-Raftkv-Cluster", cluster).header("X-Raftkv-Node", sender);
        return secret == null ? b : b.header("Authorization", "Bearer " + secret);
    }

    /** What one client stream saw: its upgrade's answer or failure, and how it was closed. */
    private static final class Seen extends WebSocketListener {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

        @Override
        public void onOpen(WebSocket ws, Response response) {
            events.add(response);
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, Response response) {
            events.add(response != null ? response : t);
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            events.add(code + " " + reason);
            ws.close(1000, null);
        }
    }

    private static ByteString batch(byte flag, List<Message> messages) {
        byte[] encoded = MessageCodec.encode(messages);
        byte[] frame = new byte[encoded.length + 1];
        frame[0] = flag;
        System.arraycopy(encoded, 0, frame, 1, encoded.length);
        return ByteString.of(frame);
    }

    /** Opens a stream with the right secret and cluster, as member n2; {@code seen} gets its events. */
    private WebSocket asMember(Seen seen) {
        return http.newWebSocket(upgrade("s", node.clusterId(), "n2").build(), seen);
    }

    private Response opened(Seen seen) throws InterruptedException {
        Object first = seen.events.poll(10, TimeUnit.SECONDS);
        assertThat(first).isInstanceOf(Response.class);
        return (Response) first;
    }

    @Test
    void anUpgradeNeedsTheSecretTheClusterAndAMemberSender() throws Exception {
        for (Request req : List.of(upgrade(null, node.clusterId(), "n2").build(), upgrade("s", "another", "n2").build(),
                upgrade("wrong", node.clusterId(), "n2").build())) {
            Seen seen = new Seen();
            http.newWebSocket(req, seen);
            Response r = opened(seen);
            assertThat(r.code()).as(req.headers().toString()).isIn(401, 403);
            assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        }
        assertThat(refused).containsExactly("secret", "cluster", "secret");
        try (Response post = http.newCall(upgrade("s", node.clusterId(), "n2").post(RequestBody.create(new byte[0])).build()).execute()) {
            assertThat(post.code()).isEqualTo(405);
            assertThat(post.header("Allow")).isEqualTo("GET");
        }
        try (Response plainGet = http.newCall(upgrade("s", node.clusterId(), "n2").build()).execute()) {
            assertThat(plainGet.code()).as("a GET that asks for no upgrade").isBetween(400, 499);
        }
    }

    @Test
    void aMembersStreamDeliversItsBatchesAndTheAnswerSaysWhoWeAre() throws Exception {
        Seen seen = new Seen();
        WebSocket ws = asMember(seen);
        Response r = opened(seen);
        assertThat(r.code()).isEqualTo(101);
        assertThat(r.header("X-Raftkv-Node")).isEqualTo("n1");
        assertThat(r.header("X-Raftkv-Cluster")).isEqualTo(node.clusterId());
        ws.send(batch(StreamFrames.LAST, List.of(new Heartbeat("n2", "n1", 7, 0, 0))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (node.status().term() < 7 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(node.status().term()).isEqualTo(7);
        assertThat(node.heardFrom("n2")).isTrue();
        ws.close(1000, null);
    }

    /**
     * Compression of what a peer sends is refused, though the client asks for it (OkHttp always
     * does): over TLS, a batch compressed with values an attacker wrote beside others' values leaks
     * those values through its size (CRIME), and on a fast network deflating every batch is CPU the
     * Raft and request threads need.
     */
    @Test
    void aStreamIsNeverCompressed() throws Exception {
        Seen seen = new Seen();
        WebSocket ws = asMember(seen);
        Response r = opened(seen);
        assertThat(r.code()).isEqualTo(101);
        assertThat(r.request().header("Sec-WebSocket-Extensions")).as("the client asks").contains("permessage-deflate");
        assertThat(r.headers("Sec-WebSocket-Extensions")).as("the server declines").isEmpty();
        ws.close(1000, null);
    }

    @Test
    void aBatchInAnotherMembersNameClosesTheStreamAndChangesNothing() throws Exception {
        Seen seen = new Seen();
        WebSocket ws = asMember(seen);
        opened(seen);
        long term = node.status().term();
        ws.send(batch(StreamFrames.LAST, List.of(new Heartbeat("n3", "n1", term + 9, 0, 0))));
        assertThat(seen.events.poll(10, TimeUnit.SECONDS)).asString().startsWith("1008 from-mismatch");
        assertThat(refused).containsExactly("from-mismatch");
        assertThat(node.status().term()).isEqualTo(term);
    }

    @Test
    void aBatchPastTheBoundClosesTheStreamBeforeItIsDecoded() throws Exception {
        Seen seen = new Seen();
        WebSocket ws = asMember(seen);
        opened(seen);
        byte[] piece = new byte[601];
        piece[0] = StreamFrames.MORE;
        ws.send(ByteString.of(piece));
        ws.send(ByteString.of(piece));
        assertThat(seen.events.poll(10, TimeUnit.SECONDS)).asString().startsWith("1008").contains("at most 1000 bytes");
    }

    /**
     * A stream whose sender vanished without a reset reaching this side (its connection was reset on
     * the sender's side only, or a NAT dropped it) is closed within seconds, so such streams cannot
     * fill the peer server's connections; a live sender's pings keep an idle stream open.
     */
    @Test
    void aStreamWhoseSenderVanishedIsClosedButPingsKeepAnIdleOneOpen() throws Exception {
        OkHttpClient pinging = http.newBuilder().pingInterval(Duration.ofSeconds(1)).build();
        try (BlackholeProxy proxy = new BlackholeProxy(server.port())) {
            Seen seen = new Seen();
            pinging.newWebSocket(new Request.Builder().url("http://127.0.0.1:" + proxy.port() + StreamFrames.PATH)
                    .header("Authorization", "Bearer s").header("X-Raftkv-Cluster", node.clusterId())
                    .header("X-Raftkv-Node", "n2").build(), seen);
            assertThat(opened(seen).code()).isEqualTo(101);
            Thread.sleep(PeerStreamEndpoint.IDLE_TIMEOUT_MILLIS + 2000);
            assertThat(proxy.closedByTarget()).as("an idle stream whose sender pings stays open").isZero();
            proxy.swallowOpenConnections();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PeerStreamEndpoint.IDLE_TIMEOUT_MILLIS + 5000);
            while (proxy.closedByTarget() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(proxy.closedByTarget()).as("the peer server closed the silent stream").isEqualTo(1);
        }
    }

    @Test
    void aMessageForAnotherNodeClosesTheStream() throws Exception {
        Seen seen = new Seen();
        WebSocket ws = asMember(seen);
        opened(seen);
        ws.send(batch(StreamFrames.LAST, List.of(new Heartbeat("n2", "n3", 7, 0, 0))));
        assertThat(seen.events.poll(10, TimeUnit.SECONDS)).asString().startsWith("1008 misrouted-peer-message");
        assertThat(node.status().term()).isLessThan(7);
    }
}
