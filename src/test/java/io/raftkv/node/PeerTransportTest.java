package io.raftkv.node;

import com.sun.net.httpserver.HttpServer;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the sender says and what it believes of an answer. */
class PeerTransportTest {
    private HttpServer server;
    private PeerTransport transport;

    @AfterEach
    void close() {
        if (transport != null) {
            transport.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    /** Starts a fake peer n2 answering every request with {@code headers}; returns the requests' headers it saw. */
    private BlockingQueue<Map<String, List<String>>> peer(Map<String, String> headers) throws Exception {
        BlockingQueue<Map<String, List<String>>> seen = new LinkedBlockingQueue<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            seen.add(Map.copyOf(ex.getRequestHeaders()));
            headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        return seen;
    }

    private PeerDirectory directory() {
        String n2 = "http://127.0.0.1:" + server.getAddress().getPort();
        return new PeerDirectory("n1", "http://n1.client:8080", new Membership(List.of(new Peer("n1", "http://127.0.0.1:1"),
                new Peer("n2", n2), new Peer("n3", "http://127.0.0.1:3"))));
    }

    private PeerTransport transport(PeerDirectory directory) {
        return new PeerTransport(directory, "0123456789abcdef", "s3cret", new PeerClient(null), (i, t) -> null,
                p -> { }, (p, ok) -> { }, NodeMetrics.noop());
    }

    @Test
    void everyRequestCarriesTheClusterTheSenderAndTheSecret() throws Exception {
        BlockingQueue<Map<String, List<String>>> seen = peer(Map.of());
        transport = transport(directory());
        transport.send(new Heartbeat("n1", "n2", 1, 0, 0));
        Map<String, List<String>> h = seen.poll(10, TimeUnit.SECONDS);
        assertThat(h).isNotNull();
        assertThat(h.get("X-raftkv-cluster")).containsExactly("0123456789abcdef");
        assertThat(h.get("X-raftkv-node")).containsExactly("n1");
        assertThat(h.get("Authorization")).containsExactly("Bearer s3cret");
    }

    /** Whoever answers at n2's address may only speak for n2, and only from this cluster. */
    @Test
    void anAnswerCannotSetAnotherMembersClientUrl() throws Exception {
        BlockingQueue<Map<String, List<String>>> seen = peer(Map.of(PeerDirectory.NODE_HEADER, "n3",
                PeerDirectory.CLIENT_URL_HEADER, "http://evil:1", PeerDirectory.CLUSTER_HEADER, "0123456789abcdef"));
        PeerDirectory directory = directory();
        transport = transport(directory);
        transport.send(new Heartbeat("n1", "n2", 1, 0, 0));
        assertThat(seen.poll(10, TimeUnit.SECONDS)).isNotNull();
        transport.send(new Heartbeat("n1", "n2", 1, 0, 0)); // the first answer is handled before the second is sent
        assertThat(seen.poll(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(directory.clientUrl("n3")).isEmpty();
        assertThat(directory.clientUrl("n2")).isEmpty();
    }

    @Test
    void anAnswerFromTheCalledPeerOfThisClusterTeachesItsClientUrl() throws Exception {
        BlockingQueue<Map<String, List<String>>> seen = peer(Map.of(PeerDirectory.NODE_HEADER, "n2",
                PeerDirectory.CLIENT_URL_HEADER, "https://n2.client:8443", PeerDirectory.CLUSTER_HEADER, "0123456789abcdef"));
        PeerDirectory directory = directory();
        transport = transport(directory);
        // Heartbeats keep coming, as from a leader: an answer later than the control lane waits for is not read.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (directory.clientUrl("n2").isEmpty() && System.nanoTime() < deadline) {
            transport.send(new Heartbeat("n1", "n2", 1, 0, 0));
            Thread.sleep(50);
        }
        assertThat(seen).isNotEmpty();
        assertThat(directory.clientUrl("n2")).contains("https://n2.client:8443");
    }

    /**
     * A connection that died without a reset reaching this side (the peer's answer was reset on its
     * way out, or a NAT dropped the connection's state) shows as an answer that never comes. The lane
     * gives up after the call timeout, tells the core the peer missed an append, and sends the next
     * batch at once on a new connection: replication to that peer stalls for about a second, not for
     * the socket's read timeout (it was 5 s, longer than many elections).
     */
    @Test
    void anAnswerThatNeverComesHoldsTheReplicationLaneOnlyForTheCallTimeout() throws Exception {
        BlockingQueue<Long> arrived = new LinkedBlockingQueue<>();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            arrived.add(System.nanoTime());
            if (requests.incrementAndGet() == 1) {
                try {
                    release.await(); // the first answer never comes
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        BlockingQueue<String> unreachable = new LinkedBlockingQueue<>();
        transport = new PeerTransport(directory(), "0123456789abcdef", "s3cret", new PeerClient(null), (i, t) -> null,
                unreachable::add, (p, ok) -> { }, NodeMetrics.noop());
        try {
            transport.send(new io.raftkv.raft.AppendEntries("n1", "n2", 1, 0, 0, List.of(), 0));
            Long first = arrived.poll(10, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            transport.send(new io.raftkv.raft.AppendEntries("n1", "n2", 1, 0, 0, List.of(), 0));
            Long second = arrived.poll(10, TimeUnit.SECONDS);
            assertThat(second).as("the next append reaches the peer").isNotNull();
            assertThat(TimeUnit.NANOSECONDS.toMillis(second - first)).as("ms the lane waited for an answer that never came")
                    .isBetween(PeerTransport.REPLICATION_ANSWER_TIMEOUT.toMillis() - 50, PeerTransport.REPLICATION_ANSWER_TIMEOUT.toMillis() + 1000);
            assertThat(unreachable.poll(1, TimeUnit.SECONDS)).as("the core hears the append may be lost").isEqualTo("n2");
        } finally {
            release.countDown();
        }
    }

    /**
     * A connection reset under a request (a flaky load balancer or NAT) costs no message: the batch is
     * sent again at once on a new connection, so a heartbeat is not lost to one reset and the core is
     * not told the peer missed an append.
     */
    @Test
    void aBatchWhoseConnectionIsResetIsSentAgainAtOnceOnANewConnection() throws Exception {
        BlockingQueue<String> unreachable = new LinkedBlockingQueue<>();
        BlockingQueue<Integer> bodies = new LinkedBlockingQueue<>();
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> {
                try {
                    for (int connection = 1; ; connection++) {
                        try (java.net.Socket s = raw.accept()) {
                            bodies.add(readRequestBody(s.getInputStream()));
                            if (connection == 1) {
                                s.setSoLinger(true, 0); // close with a reset, the request unanswered
                            } else {
                                s.getOutputStream().write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                                s.getOutputStream().flush();
                                readRequestBody(s.getInputStream()); // keep it open until the client is done
                            }
                        }
                    }
                } catch (java.io.IOException e) {
                    // the test is over: the server socket was closed
                }
            }, "resetting-peer");
            peer.setDaemon(true);
            peer.start();
            PeerDirectory directory = new PeerDirectory("n1", "http://n1.client:8080", new Membership(List.of(
                    new Peer("n1", "http://127.0.0.1:1"), new Peer("n2", "http://127.0.0.1:" + raw.getLocalPort()))));
            transport = new PeerTransport(directory, "0123456789abcdef", "s3cret", new PeerClient(null), (i, t) -> null,
                    unreachable::add, (p, ok) -> { }, NodeMetrics.noop());
            long sent = System.nanoTime();
            transport.send(new io.raftkv.raft.AppendEntries("n1", "n2", 1, 0, 0, List.of(), 0));
            Integer first = bodies.poll(10, TimeUnit.SECONDS);
            Integer second = bodies.poll(10, TimeUnit.SECONDS);
            assertThat(first).as("the request reached the peer, whose connection then reset").isNotNull().isPositive();
            assertThat(second).as("the same batch again, on a new connection").isEqualTo(first);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)).as("ms until it was sent again").isLessThan(1000);
            assertThat(unreachable.poll(300, TimeUnit.MILLISECONDS)).as("the core is not told the append was lost").isNull();
        }
    }

    /** Reads one HTTP/1.1 request with a Content-Length body; returns the body's length. */
    private static int readRequestBody(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException("the connection ended");
            }
            head.append((char) c);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        in.readNBytes(length);
        return length;
    }

    @Test
    void aMessageForANonMemberMakesNoSenderThreads() throws Exception {
        peer(Map.of());
        transport = transport(directory());
        long before = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("raftkv-send-")).count();
        for (int i = 0; i < 50; i++) {
            transport.send(new Heartbeat("n1", "x" + i, 1, 0, 0));
        }
        long after = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("raftkv-send-")).count();
        assertThat(after).isEqualTo(before);
    }

    @Test
    void theConfiguredTransportDecidesThePeerScheme() {
        assertThat(new PeerClient(null).withScheme("https://a:1")).isEqualTo("http://a:1");
        assertThat(new PeerClient(null).withScheme("http://a:1")).isEqualTo("http://a:1");
    }
}
