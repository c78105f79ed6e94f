package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import io.raftkv.raft.Heartbeat;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One three-node cluster of real processes on loopback, used the way clients use it: through
 * every node, following redirects. Scenarios that hurt the cluster live in {@link NodeFaultIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeClusterIT {
    @TempDir
    static Path dir;
    protected LocalProcessCluster cluster;
    protected KvHttp http;

    @BeforeAll
    void start() {
        cluster = newCluster(dir);
        http = new KvHttp(clientTls());
        cluster.awaitLeader(Duration.ofSeconds(60));
        cluster.awaitReady(Duration.ofSeconds(30));
    }

    /** The cluster under test; a subclass runs the same tests over TLS. */
    protected LocalProcessCluster newCluster(Path dir) {
        return new LocalProcessCluster(3, dir);
    }

    /** What a client needs to trust the nodes, or null for plain HTTP. */
    protected SSLContext clientTls() {
        return null;
    }

    /** What a peer presents on the peer port as {@code member} (its certificate), or null for plain HTTP. */
    protected SSLContext peerTls(String member) {
        return null;
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private URI node(int i) {
        return cluster.clientUrl(cluster.nodes().get(i));
    }

    private String follower() {
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        return cluster.nodes().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
    }

    @Test
    void everyNodeAgreesOnOneLeader() {
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        for (String n : cluster.nodes()) {
            String body = http.send(HttpRequest.newBuilder(cluster.clientUrl(n).resolve("/cluster")), false).body();
            assertThat(body).contains("\"leader\":\"" + leader + "\"");
            assertThat(body).contains("\"members\":[");
        }
    }

    @Test
    void writesThroughEveryNodeFollowRedirectsToTheLeaderAndEveryNodeReadsThem() {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> put = http.put(node(i), "via/n" + i, "value-" + i);
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            assertThat(put.headers().firstValue("ETag")).isPresent();
        }
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                HttpResponse<String> get = http.get(node(i), "via/n" + j);
                assertThat(get.statusCode()).isEqualTo(200);
                assertThat(get.body()).isEqualTo("value-" + j);
                assertThat(get.headers().firstValue("Content-Type")).contains("text/plain");
            }
        }
    }

    @Test
    void aFollowerRedirectsWritesAndLinearizableReadsButServesStaleReadsItself() {
        URI f = cluster.clientUrl(follower());
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        HttpResponse<String> redirected = http.send(HttpRequest.newBuilder(KvHttp.uri(f, "r/k", "x=1"))
                .PUT(HttpRequest.BodyPublishers.ofString("v")), false);
        assertThat(redirected.statusCode()).isEqualTo(307);
        assertThat(redirected.headers().firstValue("Location")).contains(cluster.clientUrl(leader) + "/kv/r/k?x=1");
        assertThat(http.put(f, "r/k", "v1").statusCode()).isEqualTo(201);
        assertThat(http.send(HttpRequest.newBuilder(KvHttp.uri(f, "r/k")).GET(), false).statusCode()).isEqualTo(307);
        // A stale read is served by the follower itself once it has applied the write.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        HttpResponse<String> stale;
        do {
            stale = http.send(HttpRequest.newBuilder(KvHttp.uri(f, "r/k", "consistency=stale")).GET(), false);
        } while (stale.statusCode() != 200 && System.nanoTime() < deadline);
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).isEqualTo("v1");
        String etag = stale.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> unchanged = http.send(HttpRequest.newBuilder(KvHttp.uri(f, "r/k", "consistency=stale"))
                .header("If-None-Match", etag).GET(), false);
        assertThat(unchanged.statusCode()).isEqualTo(304);
        HttpResponse<String> listed = http.send(HttpRequest.newBuilder(
                f.resolve("/kv?prefix=r/&consistency=stale&values=true")).GET(), false);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains("\"key\":\"r/k\"").contains("\"value\":\"djE=\"");
        HttpResponse<String> badLimit = http.send(HttpRequest.newBuilder(
                f.resolve("/kv?prefix=r/&consistency=stale&limit=0")).GET(), false);
        assertThat(badLimit.statusCode()).isEqualTo(400);
    }

    @Test
    void aLinearizableReadAlwaysSeesTheLastAcknowledgedWriteWhicheverNodeItStartsAt() {
        for (int round = 0; round < 30; round++) {
            String v = "round-" + round;
            assertThat(http.put(node(round % 3), "lin/key", v).statusCode()).isIn(200, 201);
            HttpResponse<String> r = http.get(node((round + 1) % 3), "lin/key");
            assertThat(r.body()).isEqualTo(v);
        }
    }

    @Test
    void aWatchOnAFollowerStartsAtTheReadIndexItAskedTheLeaderForOverThePeerPort() throws Exception {
        // The follower learns a new commit index only with the leader's next message: a watch that waited
        // for the commit index it knew would start behind the write just acknowledged.
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        URI f = cluster.clientUrl(follower());
        java.net.http.HttpClient client = http.builder().build();
        for (int round = 0; round < 10; round++) {
            HttpResponse<String> put = http.put(cluster.clientUrl(leader), "fw/key", "v" + round);
            assertThat(put.statusCode()).as(put.body()).isIn(200, 201);
            long acked = Long.parseLong(put.headers().firstValue("X-Raftkv-Revision").orElseThrow());
            HttpResponse<InputStream> watch = client.send(HttpRequest.newBuilder(f.resolve("/watch?key=fw/key"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream stream = watch.body()) {
                assertThat(watch.statusCode()).as("the follower serves the watch itself").isEqualTo(200);
                assertThat(Long.parseLong(watch.headers().firstValue("X-Raftkv-Revision").orElseThrow()))
                        .as("round %d, acknowledged at %d", round, acked).isGreaterThanOrEqualTo(acked);
            }
        }
    }

    @Test
    void conditionalWritesCompareRevisions() {
        HttpResponse<String> created = http.put(node(0), "cas/k", "a", "If-None-Match", "*");
        assertThat(created.statusCode()).isEqualTo(201);
        String etag = created.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = http.put(node(1), "cas/k", "b", "If-None-Match", "*");
        assertThat(again.statusCode()).isEqualTo(412);
        assertThat(again.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        HttpResponse<String> swapped = http.put(node(2), "cas/k", "c", "If-Match", etag);
        assertThat(swapped.statusCode()).isEqualTo(200);
        HttpResponse<String> stale = http.put(node(0), "cas/k", "d", "If-Match", etag);
        assertThat(stale.statusCode()).isEqualTo(412);
        assertThat(stale.body()).contains("currentRevision");
        assertThat(http.delete(node(1), "cas/k", "If-Match", etag).statusCode()).isEqualTo(412);
        assertThat(http.get(node(1), "cas/k").body()).isEqualTo("c");
        String current = http.get(node(1), "cas/k").headers().firstValue("ETag").orElseThrow();
        assertThat(http.delete(node(1), "cas/k", "If-Match", current).statusCode()).isEqualTo(204);
        assertThat(http.get(node(2), "cas/k").statusCode()).isEqualTo(404);
    }

    @Test
    void aGetWithTheCurrentEtagIsNotModified() {
        String etag = http.put(node(0), "etag/k", "x").headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(KvHttp.uri(node(1), "etag/k")).header("If-None-Match", etag).GET(), true);
        assertThat(r.statusCode()).isEqualTo(304);
    }

    @Test
    void pagingThroughAPrefixVisitsEveryKeyOnceInOrder() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            String key = String.format("page/%04d", i);
            expected.add(key);
            assertThat(http.put(node(i % 3), key, "v" + i).statusCode()).isEqualTo(201);
        }
        http.put(node(0), "pagf/outside", "x");
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        Pattern key = Pattern.compile("\"key\":\"([^\"]+)\"");
        Pattern next = Pattern.compile("\"next\":(null|\"([^\"]+)\")");
        do {
            String q = "/kv?prefix=page/&limit=100" + (cursor == null ? "" : "&cursor=" + cursor);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(node(pages % 3).resolve(q)).GET(), true);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            Matcher m = key.matcher(r.body());
            while (m.find()) {
                seen.add(m.group(1));
            }
            Matcher n = next.matcher(r.body());
            assertThat(n.find()).isTrue();
            cursor = n.group(2);
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(expected);
    }

    @Test
    void keysMayHoldSlashesSpacesAndAnyUtf8() {
        for (String k : List.of("a/b/c/", "with space", "ünï/cødé/🚀", "percent%2Fslash", "plus+sign")) {
            assertThat(http.put(node(0), k, "v:" + k).statusCode()).as(k).isEqualTo(201);
            assertThat(http.get(node(2), k).body()).as(k).isEqualTo("v:" + k);
        }
    }

    @Test
    void badInputIsAClearProblemAndChangesNothing() {
        assertThat(http.put(node(0), "bad/k", "kept").statusCode()).isEqualTo(201);
        String big = "x".repeat((1 << 20) + 1);
        List<HttpResponse<String>> refused = List.of(
                http.put(node(0), "bad/k", big),
                http.put(node(0), "bad/k", "y", "If-Match", "not-an-etag"),
                http.put(node(0), "bad/k", "y", "If-Match", "\"1\"", "If-None-Match", "*"),
                http.put(node(0), "bad/k", "y", "If-None-Match", "\"3\""),
                http.put(node(0), "bad/k", "y", "Idempotency-Key", "has space"),
                http.put(node(0), "k".repeat(1025), "y"),
                http.get(node(0), "bad/k", "consistency=sometimes"),
                http.send(HttpRequest.newBuilder(node(0).resolve("/kv/")).PUT(HttpRequest.BodyPublishers.ofString("y")), true),
                http.send(HttpRequest.newBuilder(node(0).resolve("/kv/%C3%28")).PUT(HttpRequest.BodyPublishers.ofString("y")), true),
                http.send(HttpRequest.newBuilder(node(0).resolve("/kv?limit=0")).GET(), true),
                http.send(HttpRequest.newBuilder(node(0).resolve("/kv?cursor=***")).GET(), true));
        for (HttpResponse<String> r : refused) {
            assertThat(r.statusCode()).as(r.uri() + " " + r.body()).isBetween(400, 499);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).as(r.uri().toString()).startsWith("application/problem+json");
            assertThat(r.body()).contains("\"detail\"").contains("\"type\"");
        }
        assertThat(refused.get(0).statusCode()).isEqualTo(413);
        HttpResponse<String> after = http.get(node(1), "bad/k");
        assertThat(after.body()).isEqualTo("kept");
        assertThat(after.headers().firstValue("X-Raftkv-Version")).contains("1");
    }

    @Test
    void theClientPortHidesRaftEndpointsAndThePeerPortRequiresTheSecret() {
        HttpResponse<String> hidden = http.send(HttpRequest.newBuilder(node(0).resolve("/raft/append"))
                .POST(HttpRequest.BodyPublishers.ofString("x")), false);
        assertThat(hidden.statusCode()).isEqualTo(404);
        assertThat(http.send(HttpRequest.newBuilder(node(0).resolve("/raft/info")).GET(), false).statusCode()).isEqualTo(404);
        assertThat(http.send(HttpRequest.newBuilder(node(0).resolve("/nope")).GET(), false).statusCode()).isEqualTo(404);

        URI peer = cluster.peerUrl(cluster.nodes().get(0));
        KvHttp asN2 = new KvHttp(peerTls("n2"));
        HttpResponse<String> anonymous = asN2.send(asPeer(HttpRequest.newBuilder(peer.resolve("/raft/info")), "n2", null).GET(), false);
        assertThat(anonymous.statusCode()).as("no secret, no peer API").isEqualTo(401);
        HttpResponse<String> wrong = asN2.send(asPeer(HttpRequest.newBuilder(peer.resolve("/raft/info")), "n2", "guess").GET(), false);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        HttpResponse<String> member = asN2.send(asPeer(HttpRequest.newBuilder(peer.resolve("/raft/info")), "n2", "test-secret").GET(), false);
        assertThat(member.statusCode()).isEqualTo(200);
        assertThat(member.body()).contains("\"id\":\"n1\"");
        HttpResponse<String> garbage = asN2.send(asPeer(HttpRequest.newBuilder(peer.resolve("/raft/append")), "n2", "test-secret")
                .header("Content-Type", "application/x-raftkv-raft")
                .POST(HttpRequest.BodyPublishers.ofString("not a message")), false);
        assertThat(garbage.statusCode()).as("a malformed peer message is refused, not stepped").isEqualTo(400);
        for (String path : List.of("/kv/x", "/raft/info/", "/raft;x/info", "/%72aft/info", "/actuator/health")) {
            HttpResponse<String> other = asN2.send(asPeer(HttpRequest.newBuilder(peer.resolve(path)), "n2", "test-secret").GET(), false);
            assertThat(other.statusCode()).as(path + " on the peer port").isEqualTo(404);
            assertThat(other.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        }
    }

    /**
     * The client port has no route to a peer handler at all, so no spelling of a peer path reaches
     * one: each request carries a valid message that would raise the node's term by 100.
     */
    @Test
    void noSpellingOfAPeerPathOnTheClientPortReachesAPeerHandler() throws IOException {
        String n1 = cluster.nodes().get(0);
        long before = term(n1);
        byte[] body = MessageCodec.encode(List.of(new Heartbeat("n2", "n1", before + 100, 0, 0)));
        List<String> spellings = List.of("/raft/append", "/raft;x/append", "/raft/append;x", "/%72aft/append",
                "/raft/%61ppend", "//raft/append", "/raft//append", "/RAFT/append", "/Raft/Append", "/raft/./append",
                "/./raft/append", "/kv/../raft/append", "/kv/%2e%2e/raft/append", "/raft/append/", "/%2Fraft%2Fappend",
                "/raft%2Fappend", "/raft%2fappend", "/raft/append?x=1", "/raft/append%00", "/raft/vote", "/raft/snapshot",
                "/raft/timeout-now", "/raft/info");
        for (String target : spellings) {
            String status = raw(node(0), "POST", target, peerHeaders("n2", clusterId()), body, clientTls());
            // Spring MVC matches /kv/** on the raw path, so /kv/../x is a key path that takes no POST;
            // Tomcat refuses a NUL in a path before any routing.
            String expected = target.startsWith("/kv/") ? "HTTP/1.1 40[45]" : target.contains("%00") ? "HTTP/1.1 400" : "HTTP/1.1 404";
            assertThat(status).as("POST " + target + " on the client port").matches(expected + "( .*)?");
        }
        assertThat(term(n1)).as("no message reached the node").isLessThan(before + 100);
    }

    /**
     * A peer message from another cluster, with no sender, or in another member's name is refused and
     * counted. (A sender the membership does not name yet is taken, as etcd does; a removed one is
     * refused, see PeerGateTest.)
     */
    @Test
    void forgedPeerMessagesAreRefused() throws IOException {
        String n1 = cluster.nodes().get(0);
        URI peer = cluster.peerUrl(n1);
        long before = term(n1);
        String id = clusterId();
        byte[] fromN2 = MessageCodec.encode(List.of(new Heartbeat("n2", "n1", before + 100, 0, 0)));
        byte[] fromN3 = MessageCodec.encode(List.of(new Heartbeat("n3", "n1", before + 100, 0, 0)));
        String otherCluster = id.equals("0000000000000000") ? "1111111111111111" : "0000000000000000";
        SSLContext asN2 = peerTls("n2");
        assertThat(raw(peer, "POST", "/raft/append", peerHeaders("n2", otherCluster), fromN2, asN2)).startsWith("HTTP/1.1 403");
        assertThat(raw(peer, "POST", "/raft/append", peerHeaders("n2", null), fromN2, asN2)).startsWith("HTTP/1.1 403");
        assertThat(raw(peer, "POST", "/raft/append", peerHeaders("", id), fromN2, asN2)).startsWith("HTTP/1.1 403");
        assertThat(raw(peer, "POST", "/raft/append", peerHeaders("n2", id), fromN3, asN2)).startsWith("HTTP/1.1 403");
        String snapshotFromNoOne = peerHeaders("", id) + "X-Raftkv-To: n1\r\nX-Raftkv-Term: " + (before + 100)
                + "\r\nX-Raftkv-Snapshot-Index: 1\r\nX-Raftkv-Snapshot-Term: 1\r\nX-Raftkv-Offset: 0\r\nX-Raftkv-Last: true\r\n";
        assertThat(raw(peer, "POST", "/raft/snapshot", snapshotFromNoOne, new byte[16], asN2)).startsWith("HTTP/1.1 403");
        assertThat(term(n1)).as("no forged message reached the node").isLessThan(before + 100);
        String metrics = http.send(HttpRequest.newBuilder(node(0).resolve("/actuator/prometheus")).GET(), false).body();
        assertThat(metrics).containsPattern("raftkv_peer_refused_total\\{[^}]*reason=\"cluster\"[^}]*} [1-9]")
                .containsPattern("raftkv_peer_refused_total\\{[^}]*reason=\"non-member\"[^}]*} [1-9]")
                .containsPattern("raftkv_peer_refused_total\\{[^}]*reason=\"from-mismatch\"[^}]*} [1-9]");
    }

    /** A peer request as {@code member}: the cluster ID, the sender's id, and the secret if given. */
    protected HttpRequest.Builder asPeer(HttpRequest.Builder b, String member, String secret) {
        b.header("X-Raftkv-Cluster", clusterId()).header("X-Raftkv-Node", member);
        return secret == null ? b : b.header("Authorization", "Bearer " + secret);
    }

    private static String peerHeaders(String member, String clusterId) {
        return (clusterId == null ? "" : "X-Raftkv-Cluster: " + clusterId + "\r\n") + "X-Raftkv-Node: " + member
                + "\r\nAuthorization: Bearer test-secret\r\nContent-Type: application/x-raftkv-raft\r\n";
    }

    protected String clusterId() {
        try {
            return java.nio.file.Files.readString(cluster.dataDir(cluster.nodes().get(0)).resolve("cluster-id")).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected long term(String node) {
        String body = http.send(HttpRequest.newBuilder(cluster.clientUrl(node).resolve("/cluster")), false).body();
        Matcher m = Pattern.compile("\"term\":(\\d+)").matcher(body);
        assertThat(m.find()).as(body).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Sends one request exactly as written (no client normalizes the target) and returns the status line. */
    protected static String raw(URI base, String method, String target, String headers, byte[] body, SSLContext tls)
            throws IOException {
        try (Socket socket = open(base, tls)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + target + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\n" + headers
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            String status = line(new BufferedInputStream(socket.getInputStream()));
            return status == null ? "(connection closed)" : status;
        }
    }

    protected static Socket open(URI base, SSLContext tls) throws IOException {
        if (!"https".equals(base.getScheme())) {
            return new Socket(base.getHost(), base.getPort());
        }
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(base.getHost(), base.getPort());
        s.startHandshake();
        return s;
    }

    /**
     * Clients and peers send thousands of requests over one connection. A server that closes it
     * after a fixed count (Tomcat's default is 100) races with a client reusing it at that moment.
     */
    @Test
    void bothPortsServeManyRequestsOverOneKeptAliveConnection() throws IOException {
        assertThat(requestsServedOnOneConnection(node(0), "/cluster", "", 250, clientTls())).isEqualTo(250);
        URI peer = cluster.peerUrl(cluster.nodes().get(0));
        assertThat(requestsServedOnOneConnection(peer, "/raft/info", "Authorization: Bearer test-secret\r\n"
                + "X-Raftkv-Cluster: " + clusterId() + "\r\nX-Raftkv-Node: n2\r\n", 250, peerTls("n2"))).isEqualTo(250);
    }

    /*
     * An HTTP/1.1 server that closes an idle kept-alive connection races with a client that picks
     * that connection from its pool at the same moment: the request goes out, the close comes back,
     * and the client reports "header parser received no bytes" for a request the server never saw.
     * A client cannot tell that from a lost answer, so it does not retry a PUT. This is how a PUT
     * through a follower in this class failed once: Tomcat closed connections idle for 60 s, while
     * the JDK client keeps them for 20 minutes (jdk.httpclient.keepalive.timeout, 1200 s), OkHttp for
     * 5, curl for 2. The cure is the one etcd's Go server has: the server keeps idle connections
     * longer than any client pool does, so the client always closes first.
     */
    @Test
    void aServerThatClosesAnIdleConnectionFirstLeavesTheClientsNextRequestWithoutAnAnswer(@TempDir Path shortDir)
            throws IOException, InterruptedException {
        try (LocalProcessCluster shortIdle = new LocalProcessCluster(1, shortDir, "--server.tomcat.keep-alive-timeout=1s")) {
            shortIdle.awaitReady(Duration.ofSeconds(60));
            URI base = shortIdle.clientUrl("n1");
            try (Socket socket = new Socket(base.getHost(), base.getPort())) {
                socket.setSoTimeout(10_000);
                assertThat(exchange(socket, base, "/cluster")).startsWith("HTTP/1.1 200");
                Thread.sleep(3_000); // past the 1 s idle timeout and Tomcat's 1 s poller sweep
                assertThat(exchange(socket, base, "/cluster")).as("the reused connection's answer").isNull();
            }
        }
    }

    @Test
    void theClientPortKeepsIdleConnectionsLongerThanClientPoolsDo() throws IOException {
        URI base = node(0);
        try (Socket socket = open(base, clientTls())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /cluster HTTP/1.1\r\nHost: " + base.getHost() + "\r\nConnection: keep-alive\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
            assertThat(line(in)).startsWith("HTTP/1.1 200");
            Long timeout = null;
            for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                Matcher m = Pattern.compile("(?i)keep-alive:\\s*timeout=(\\d+)").matcher(h);
                if (m.find()) {
                    timeout = Long.parseLong(m.group(1));
                }
            }
            assertThat(timeout).as("Keep-Alive: timeout= advertised by the client port").isNotNull();
            assertThat(Duration.ofSeconds(timeout)).as("longer than the JDK HttpClient's 20-minute pool")
                    .isGreaterThan(Duration.ofMinutes(20));
        }
    }

    /** One GET on an open socket; its status line, or null when the server closed the connection instead. */
    private static String exchange(Socket socket, URI base, String path) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
        String status = line(in);
        if (status == null) {
            return null;
        }
        int length = 0;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return status;
    }

    /** Sends up to {@code count} GETs one after another on one socket; counts 200s until the server closes it. */
    private static int requestsServedOnOneConnection(URI base, String path, String headers, int count, SSLContext tls)
            throws IOException {
        try (Socket socket = open(base, tls)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
            byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n" + headers + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            for (int served = 0; served < count; served++) {
                out.write(request);
                out.flush();
                String status = line(in);
                if (status == null || !status.startsWith("HTTP/1.1 200")) {
                    return served;
                }
                int length = -1;
                boolean closing = false;
                for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                    String lower = h.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(lower.substring(15).trim());
                    }
                    closing |= lower.equals("connection: close");
                }
                assertThat(length).as("response %d has a Content-Length", served).isNotNegative();
                in.readNBytes(length);
                if (closing) {
                    return served + 1;
                }
            }
            return count;
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return b.isEmpty() ? null : b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    /** The client generated from openapi.yaml at build time: if the contract drifts from the code, this fails. */
    @Test
    void theClientGeneratedFromTheOpenApiContractWorksAgainstTheCluster() {
        java.net.http.HttpClient jdk = http.builder()
                .followRedirects(java.net.http.HttpClient.Redirect.NORMAL).build();
        org.springframework.web.client.RestClient rest = io.raftkv.client.ApiClient.buildRestClientBuilder()
                .requestFactory(new org.springframework.http.client.JdkClientHttpRequestFactory(jdk)).build();
        io.raftkv.client.ApiClient client = new io.raftkv.client.ApiClient(rest);
        client.setBasePath(cluster.clientUrl(follower()).toString());
        io.raftkv.client.api.KvApi kv = new io.raftkv.client.api.KvApi(client);
        io.raftkv.client.api.ClusterApi clusterApi = new io.raftkv.client.api.ClusterApi(client);

        io.raftkv.client.model.WriteResult created = kv.putValue("gen/a b/ü", "first".getBytes(), null, "*", "gen-1", null, null);
        assertThat(created.getCreated()).isTrue();
        assertThat(new String(kv.getValue("gen/a b/ü", null, null, null, null))).isEqualTo("first");
        io.raftkv.client.model.WriteResult replaced = kv.putValue("gen/a b/ü", "second".getBytes(),
                "\"" + created.getRevision() + "\"", null, null, null, null);
        assertThat(replaced.getCreated()).isFalse();
        assertThat(replaced.getRevision()).isGreaterThan(created.getRevision());

        org.springframework.web.client.RestClientResponseException stale = org.assertj.core.api.Assertions.catchThrowableOfType(
                org.springframework.web.client.RestClientResponseException.class,
                () -> kv.putValue("gen/a b/ü", "third".getBytes(), "\"" + created.getRevision() + "\"", null, null, null, null));
        assertThat(stale.getStatusCode().value()).isEqualTo(412);
        assertThat(stale.getResponseHeaders().getContentType().toString()).startsWith("application/problem+json");
        assertThat(stale.getResponseBodyAsString()).contains("\"currentRevision\":" + replaced.getRevision());

        io.raftkv.client.model.KeyList list = kv.listKeys("gen/", 10, null, true, "linearizable");
        assertThat(list.getItems()).extracting(io.raftkv.client.model.KeyInfo::getKey).containsExactly("gen/a b/ü");
        assertThat(list.getItems().get(0).getValue()).isEqualTo("second".getBytes());
        assertThat(list.getNext()).isNull();

        io.raftkv.client.model.Cluster view = clusterApi.getCluster();
        assertThat(view.getMembers()).hasSize(3);
        assertThat(view.getLeader()).isEqualTo(cluster.awaitLeader(Duration.ofSeconds(5)));

        kv.deleteValue("gen/a b/ü", null, null);
        org.springframework.web.client.RestClientResponseException gone = org.assertj.core.api.Assertions.catchThrowableOfType(
                org.springframework.web.client.RestClientResponseException.class,
                () -> kv.getValue("gen/a b/ü", null, null, null, null));
        assertThat(gone.getStatusCode().value()).isEqualTo(404);
    }

    @Test
    void healthShowsTheRaftComponentAndTheProbeGroups() {
        String health = http.send(HttpRequest.newBuilder(node(0).resolve("/actuator/health")).GET(), false).body();
        assertThat(health).contains("\"raft\"").contains("\"role\"").contains("\"term\"").contains("\"commitIndex\"")
                .contains("\"appliedIndex\"").contains("\"leader\"");
        assertThat(http.send(HttpRequest.newBuilder(node(1).resolve("/actuator/health/liveness")).GET(), false).statusCode()).isEqualTo(200);
        assertThat(http.send(HttpRequest.newBuilder(node(2).resolve("/actuator/health/readiness")).GET(), false).statusCode()).isEqualTo(200);
        String metrics = http.send(HttpRequest.newBuilder(node(0).resolve("/actuator/prometheus")).GET(), false).body();
        assertThat(metrics).contains("raft_term").contains("raft_commit_index").contains("raft_leader_changes_total")
                .contains("raft_proposal_latency_seconds").contains("raft_fsync_latency_seconds").contains("raft_commit_latency_seconds");
    }
}
