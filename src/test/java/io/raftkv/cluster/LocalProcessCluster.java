package io.raftkv.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A raftkv cluster of real JVM processes on loopback, each started from the packaged jar
 * ({@code -Draftkv.jar}, set by failsafe) with its own ports and data directory. Crashes are real
 * SIGKILLs and pauses real SIGSTOPs; there are no network faults (containers provide those).
 */
public final class LocalProcessCluster implements ClusterUnderTest {
    private record Node(String id, int clientPort, int peerPort, Path dataDir, Path log) {
    }

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();
    /** Nodes {@link #removeNode} took out: stopped, empty, and not listed until {@link #addNode} reuses them. */
    private final java.util.SortedSet<String> retired = new java.util.TreeSet<>();
    private String clusterSpec;
    /** The raftkv.cluster each node was started with: a node added later names the members before it and itself. */
    private final Map<String, String> specs = new java.util.HashMap<>();
    private Path baseDir;
    private final List<String> extraArgs;
    private final List<String> jvmOptions;
    private final Path jar;
    private final TestPki pki;
    private final String scheme;
    private final HttpClient http;

    /** Starts {@code size} nodes under {@code baseDir}; {@code extraArgs} go to every node (e.g. {@code --raftkv.snapshot.entries=100}). */
    public LocalProcessCluster(int size, Path baseDir, String... extraArgs) {
        this(size, baseDir, null, List.of(), extraArgs);
    }

    /**
     * With a {@code pki}, every node serves clients over TLS ({@code server.ssl.bundle}) and peers
     * over mutual TLS ({@code raftkv.peer.ssl.bundle}), with a certificate of its own (CN = its id)
     * from PEM files that are reloaded when they change.
     */
    public LocalProcessCluster(int size, Path baseDir, TestPki pki, String... extraArgs) {
        this(size, baseDir, pki, List.of(), extraArgs);
    }

    /**
     * As the first, with {@code jvmOptions} for every node's JVM after the defaults (so {@code -Xmx64m}
     * replaces the default heap size); {@code {node}} in an option becomes the node's id (a GC log
     * file per node, say).
     */
    public LocalProcessCluster(int size, Path baseDir, List<String> jvmOptions, String... extraArgs) {
        this(size, baseDir, null, jvmOptions, extraArgs);
    }

    private LocalProcessCluster(int size, Path baseDir, TestPki pki, List<String> jvmOptions, String... extraArgs) {
        this.jvmOptions = List.copyOf(jvmOptions);
        this.pki = pki;
        this.scheme = pki == null ? "http" : "https";
        HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500));
        if (pki != null) {
            hb.sslContext(pki.sslContext(null));
        }
        this.http = hb.build();
        this.jar = Path.of(System.getProperty("raftkv.jar", "target/raftkv.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: integration tests run after `./mvnw package` (use ./mvnw verify)");
        }
        this.extraArgs = List.of(extraArgs);
        StringBuilder spec = new StringBuilder();
        for (int i = 1; i <= size; i++) {
            String id = "n" + i;
            Node n = new Node(id, freePort(), freePort(), baseDir.resolve(id), baseDir.resolve(id + ".log"));
            nodes.put(id, n);
            spec.append(spec.isEmpty() ? "" : ",").append(id).append("=").append(scheme).append("://127.0.0.1:").append(n.peerPort());
            if (pki != null) {
                issueCertificate(id);
            }
        }
        this.clusterSpec = spec.toString();
        this.baseDir = baseDir;
        nodes.keySet().forEach(this::start);
    }

    /**
     * Starts a node again under the lowest name {@link #removeNode} freed, with an empty data
     * directory (it must join as a new member), or else makes and starts one more, {@code n<k+1>}, with
     * {@code raftkv.cluster} naming every node so far and itself: it finds the running cluster and
     * joins it as a learner. Plain HTTP only.
     */
    @Override
    public synchronized String addNode() {
        if (!retired.isEmpty()) {
            String id = retired.first();
            retired.remove(id);
            start(id);
            return id;
        }
        String id = "n" + (nodes.size() + 1);
        Node n = new Node(id, freePort(), freePort(), baseDir.resolve(id), baseDir.resolve(id + ".log"));
        nodes.put(id, n);
        clusterSpec = clusterSpec + "," + id + "=" + scheme + "://127.0.0.1:" + n.peerPort();
        specs.put(id, clusterSpec);
        start(id);
        return id;
    }

    /** Every port handed out in this JVM: the OS may give a port just closed to the next ServerSocket(0). */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A port free now and not handed out before in this JVM. Found by LostDiskIT on CI: two nodes of one
     * cluster were given the same port (each picked by a ServerSocket(0) closed at once), and the second
     * failed to start with "Port ... was already in use".
     */
    private static int freePort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public synchronized List<String> nodes() {
        return nodes.keySet().stream().filter(id -> !retired.contains(id)).toList();
    }

    @Override
    public synchronized void removeNode(String id) {
        loseDisk(id);
        retired.add(id);
    }

    /** Issues (again) the certificate of node {@code id}; a running node picks it up without a restart. */
    public java.security.cert.X509Certificate issueCertificate(String id) {
        return pki.issue(id, id, "ip:127.0.0.1", "dns:localhost", "dns:" + id);
    }

    public TestPki pki() {
        return pki;
    }

    /** A client that trusts the cluster's CA, if it has one. */
    public HttpClient http() {
        return http;
    }

    @Override
    /** @param node a node's name, or a member id of it (a node that rejoined runs as {@code <name>~<hex>}) */
    public URI clientUrl(String node) {
        return URI.create(scheme + "://127.0.0.1:" + nodes.get(io.raftkv.raft.Peer.nameOf(node)).clientPort());
    }

    /** The node's internal peer endpoint base URL (tests that check the peer port itself). */
    public URI peerUrl(String node) {
        return URI.create(scheme + "://127.0.0.1:" + nodes.get(io.raftkv.raft.Peer.nameOf(node)).peerPort());
    }

    /** The node's process id while it runs (for jcmd, say). */
    public long pid(String node) {
        return processes.get(node).pid();
    }

    public Path dataDir(String node) {
        return nodes.get(node).dataDir();
    }

    @Override
    public synchronized void loseDisk(String id) {
        kill(id);
        org.springframework.util.FileSystemUtils.deleteRecursively(dataDir(id).toFile());
    }

    /** The spec of the nodes made with the cluster: those of {@link #addNode} left out. */
    private String initialSpec() {
        return String.join(",", java.util.Arrays.stream(clusterSpec.split(","))
                .filter(e -> !specs.containsKey(e.substring(0, e.indexOf('=')))).toList());
    }

    @Override
    public synchronized void start(String id) {
        Process running = processes.get(id);
        if (running != null && running.isAlive()) {
            throw new IllegalStateException(id + " is already running");
        }
        Node n = nodes.get(id);
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
        cmd.addAll(jvmOptions.stream().map(o -> o.replace("{node}", id)).toList());
        cmd.addAll(List.of(
                "-jar", jar.toString(),
                "--raftkv.node-id=" + id,
                "--raftkv.cluster=" + specs.getOrDefault(id, initialSpec()),
                "--server.port=" + n.clientPort(),
                "--raftkv.peer-port=" + n.peerPort(),
                "--raftkv.advertise-url=" + scheme + "://127.0.0.1:" + n.clientPort(),
                "--raftkv.data-dir=" + n.dataDir(),
                "--raftkv.peer-secret=test-secret"));
        if (pki != null) {
            for (String bundle : List.of("client", "peer")) {
                String prefix = "--spring.ssl.bundle.pem." + bundle + ".";
                cmd.add(prefix + "keystore.certificate=file:" + pki.certificate(id));
                cmd.add(prefix + "keystore.private-key=file:" + pki.privateKey(id));
                cmd.add(prefix + "truststore.certificate=file:" + pki.caCertificate());
                cmd.add(prefix + "reload-on-update=true");
            }
            cmd.add("--spring.ssl.bundle.watch.file.quiet-period=500ms");
            cmd.add("--server.ssl.bundle=client");
            cmd.add("--raftkv.peer.ssl.bundle=peer");
        }
        cmd.addAll(extraArgs);
        try {
            Files.createDirectories(n.dataDir().getParent());
            processes.put(id, new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log().toFile())).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void kill(String id) {
        Process p = processes.get(id);
        p.destroyForcibly();
        waitFor(p, id);
    }

    @Override
    public synchronized void stop(String id) {
        Process p = processes.get(id);
        p.destroy();
        waitFor(p, id);
    }

    private static void waitFor(Process p, String id) {
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException(id + " did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void pause(String id) {
        signal(id, "STOP");
    }

    @Override
    public void resume(String id) {
        signal(id, "CONT");
    }

    private void signal(String id, String signal) {
        try {
            int exit = new ProcessBuilder("kill", "-" + signal, Long.toString(processes.get(id).pid())).start().waitFor();
            if (exit != 0) {
                throw new IllegalStateException("kill -" + signal + " " + id + " failed with " + exit);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isRunning(String id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    @Override
    public Optional<String> leader() {
        List<URI> up = nodes.keySet().stream().filter(this::isRunning).map(this::clientUrl).toList();
        return ClusterHttp.leader(http, up, nodes.size());
    }

    @Override
    public String awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> l = leader();
            if (l.isPresent()) {
                return l.get();
            }
            sleep(20);
        }
        throw new AssertionError("no leader within " + timeout + "\n" + tails());
    }

    @Override
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (nodes.keySet().stream().filter(this::isRunning).allMatch(id -> ClusterHttp.ready(http, clientUrl(id)))) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError("the cluster was not ready within " + timeout + "\n" + tails());
    }

    @Override
    public String logs(String id) {
        try {
            return Files.readString(nodes.get(id).log());
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private String tails() {
        StringBuilder sb = new StringBuilder();
        for (String id : nodes.keySet()) {
            List<String> lines = logs(id).lines().toList();
            sb.append("--- ").append(id).append(isRunning(id) ? "" : " (not running)").append(" log tail:\n");
            lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append("  ").append(l).append('\n'));
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        for (Map.Entry<String, Process> e : processes.entrySet()) {
            Process p = e.getValue();
            if (p.isAlive()) {
                signal(e.getKey(), "CONT");
                p.destroyForcibly();
                waitFor(p, e.getKey());
            }
        }
    }
}
