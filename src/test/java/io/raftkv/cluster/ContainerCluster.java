package io.raftkv.cluster;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.Volume;
import io.raftkv.raft.Quorum;
import org.testcontainers.DockerClientFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A raftkv cluster of Docker containers, laid out like the Helm chart's StatefulSet: nodes
 * {@code raftkv-0 .. raftkv-<N-1>} (their node ids), each reachable by its peers as
 * {@code raftkv-<i>.raftkv-headless} (a network alias, as the headless Service's DNS name is in
 * Kubernetes), each with its own named volume on {@code /data}, all configured through
 * {@code RAFTKV_*} environment variables like the chart's pods. The image is built by
 * Testcontainers from the repository's Dockerfile once per JVM ({@link RaftkvImage}).
 *
 * <h2>How the test JVM reaches the nodes</h2>
 * Each cluster gets its own bridge network with a subnet of its own ({@code 10.213.X.0/24}, X
 * random, retried when it overlaps another network or route) and every container a fixed address
 * on it: node i is {@code 10.213.X.(10+i)}. A node advertises {@code http://<its address>:8080}
 * ({@code raftkv.advertise-url}), so the 307 redirects followers answer point at an address that
 * both the other containers and this host can use: on Linux the host routes the bridge's subnet
 * through the bridge, with no port publishing. Fixed addresses also survive restarts, so a URL
 * stays valid across kill/start. {@link #clientUrl} is that address. This needs the engine on the
 * same Linux host as the JVM (Docker Desktop's VM does not route container addresses to the host);
 * {@link DockerRequirement} skips the tests elsewhere.
 *
 * <h2>Faults</h2>
 * {@link #kill} is {@code docker kill} (SIGKILL), {@link #stop} {@code docker stop} (SIGTERM, then
 * SIGKILL after the grace period), {@link #start} starts the same container again on its volume,
 * {@link #pause}/{@link #resume} are {@code docker pause}/{@code unpause} (the cgroup freezer: the
 * JVM stops with its sockets open). {@link #partition}, {@link #isolate}, {@link #heal} and
 * {@link #setPacketLoss} change iptables rules inside the containers' network namespaces from the
 * host ({@link NetworkFaults}: {@code nsenter} + {@code iptables-restore}, with an NFQUEUE helper
 * for delays since the kernels here have no netem; needs root and those tools on the host, else
 * {@link #supportsNetworkFaults} is false and says why). The rules only ever match the nodes' own
 * addresses, so the test JVM keeps reaching every node, a cut-off one included, and a node that
 * restarts gets the rules in force back. {@link #canReach} and {@link #connectMillis} look at
 * the network directly, from inside a container.
 *
 * <h2>Clean-up</h2>
 * Ryuk (Testcontainers' reaper) cannot run where no registry is reachable, so the cluster removes
 * its containers, volumes and network itself: in {@link #close} (use try-with-resources or
 * {@code @AfterAll}), from a JVM shutdown hook if close was never called, and, for a JVM that was
 * SIGKILLed, at the start of the next run on this host (everything is labelled with its owner JVM
 * and removed once that process is gone). Before removal each node's log is saved to
 * {@code target/container-logs/<cluster>/<node>.log}.
 *
 * <p>Thread-safe: a fault-injecting thread may kill, pause or partition while client threads use
 * {@link #clientUrl} and {@link #leader}.
 */
public final class ContainerCluster implements ClusterUnderTest {
    public static final int CLIENT_PORT = 8080;
    public static final int PEER_PORT = 7080;
    /** The StatefulSet's name: the nodes are {@code raftkv-0}, {@code raftkv-1}, ... */
    public static final String STATEFUL_SET = "raftkv";
    public static final String HEADLESS_SERVICE = STATEFUL_SET + "-headless";

    static final String LABEL_OWNER = "io.raftkv.it.owner";
    static final String LABEL_CLUSTER = "io.raftkv.it.cluster";
    /** This JVM, as {@code pid@start-millis@host}: what the next run checks to tell leftovers from live clusters. */
    static final String OWNER = ProcessHandle.current().pid() + "@"
            + ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L) + "@" + hostname();

    private static final Set<ContainerCluster> OPEN = ConcurrentHashMap.newKeySet();
    private static boolean reaped;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (ContainerCluster c : List.copyOf(OPEN)) {
                c.close();
            }
            RaftkvImage.remove();
        }, "raftkv-container-cleanup"));
    }

    /** How to start a cluster. */
    public static final class Options {
        private int size = 3;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String jvmOptions = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k";
        private Duration stopTimeout = Duration.ofSeconds(15);
        private Duration readyTimeout = Duration.ofSeconds(120);
        private Path logDir = Path.of(System.getProperty("raftkv.container-logs", "target/container-logs"));

        /** 1, 3 or 5 nodes (default 3). */
        public Options size(int n) {
            if (n < 1 || n > 9) {
                throw new IllegalArgumentException("a cluster has 1 to 9 nodes, not " + n);
            }
            this.size = n;
            return this;
        }

        /** An environment variable for every node, e.g. {@code RAFTKV_SNAPSHOT_ENTRIES=100}. */
        public Options env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** JVM flags for every node ({@code JDK_JAVA_OPTIONS}); the default keeps 5 nodes light on 2 cores. */
        public Options jvmOptions(String flags) {
            this.jvmOptions = flags;
            return this;
        }

        /** The grace period {@link #stop} gives a node before SIGKILL (default 15 s). */
        public Options stopTimeout(Duration d) {
            this.stopTimeout = d;
            return this;
        }

        /** How long the constructor waits for every node to be ready (default 120 s). */
        public Options readyTimeout(Duration d) {
            this.readyTimeout = d;
            return this;
        }

        /** Where {@link #close} saves each node's log. */
        public Options logDir(Path dir) {
            this.logDir = dir;
            return this;
        }
    }

    private enum State { RUNNING, PAUSED, STOPPED }

    private static final class Node {
        final String id;
        final String ip;
        final String volume;
        volatile String containerId;
        volatile State state = State.STOPPED;

        Node(String id, String ip, String volume) {
            this.id = id;
            this.ip = ip;
            this.volume = volume;
        }
    }

    private final DockerClient docker;
    private final Options options;
    private final String name;
    private final String subnet;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "raftkv-cluster-probe");
        t.setDaemon(true);
        return t;
    });
    private volatile String networkId;
    private String image;
    private String clusterSpec;
    private String secret;
    private volatile NetworkFaults faults;
    private volatile String faultsProblem = "the cluster has not started";
    private volatile boolean closed;

    /** Starts a cluster of {@code size} nodes with default options and waits until it is ready. */
    public static ContainerCluster start(int size) {
        return start(new Options().size(size));
    }

    /** Starts a cluster and waits until every node is ready (a leader is elected and known to all). */
    public static ContainerCluster start(Options options) {
        return new ContainerCluster(options);
    }

    private ContainerCluster(Options options) {
        String problem = DockerRequirement.problem();
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        this.docker = DockerClientFactory.instance().client();
        this.options = options;
        reapLeftovers(docker);
        String image = RaftkvImage.get();
        this.name = "raftkv-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        OPEN.add(this);
        long started = System.nanoTime();
        try {
            this.subnet = createNetwork();
            createContainers(image);
            for (Node n : nodes.values()) {
                docker.startContainerCmd(n.containerId).exec();
                n.state = State.RUNNING;
            }
            faults = new NetworkFaults(nodes.values().stream().collect(Collectors.toMap(n -> n.id, n -> n.ip)));
            faultsProblem = faults.probe(pid(nodes.values().iterator().next()));
            try {
                awaitReady(options.readyTimeout);
            } catch (AssertionError e) {
                if (views().isEmpty()) {
                    throw new AssertionError("no node answered at its address (" + subnet + ".x:" + CLIENT_PORT
                            + "): this host must route to the containers' addresses, which needs the Docker engine on this"
                            + " Linux host\n" + e.getMessage(), e);
                }
                throw e;
            }
            say("%s: %d nodes on %s.0/24 ready in %d ms%s", name, nodes.size(), subnet, (System.nanoTime() - started) / 1_000_000,
                    faultsProblem == null ? "" : " (no network faults: " + faultsProblem + ")");
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- set-up

    private Map<String, String> labels() {
        return Map.of(LABEL_OWNER, OWNER, LABEL_CLUSTER, name);
    }

    /** A bridge network with a /24 of its own, so every node can have a fixed address. */
    private String createNetwork() {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            String prefix = "10.213." + ThreadLocalRandom.current().nextInt(256);
            if (routed(prefix)) {
                continue;
            }
            try {
                networkId = docker.createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true)
                        .withLabels(labels())
                        .withIpam(new Network.Ipam().withConfig(new Network.Ipam.Config()
                                .withSubnet(prefix + ".0/24").withGateway(prefix + ".1")))
                        .exec().getId();
                return prefix;
            } catch (RuntimeException e) {
                last = e; // most likely another network (another test run) holds that subnet: pick another
            }
        }
        throw new IllegalStateException("could not create a network for " + name, last);
    }

    /** Whether this host already routes any of {@code prefix}.0/24 (then the nodes' addresses would be ambiguous). */
    private static boolean routed(String prefix) {
        String[] p = prefix.split("\\.");
        long net = (Long.parseLong(p[0]) << 24) | (Long.parseLong(p[1]) << 16) | (Long.parseLong(p[2]) << 8);
        try {
            for (String line : Files.readAllLines(Path.of("/proc/net/route"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 8 || f[0].equals("Iface")) {
                    continue;
                }
                long dest = Long.reverseBytes(Long.parseLong(f[1], 16) << 32) & 0xffffffffL;
                long mask = Long.reverseBytes(Long.parseLong(f[7], 16) << 32) & 0xffffffffL;
                if (mask != 0 && (net & mask) == (dest & mask)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/net/route: the engine's own overlap check has to do
        }
        return false;
    }

    private void createContainers(String image) {
        this.image = image;
        List<String> members = new ArrayList<>();
        for (int i = 0; i < options.size; i++) {
            Node n = newNode(i);
            nodes.put(n.id, n);
            members.add(n.id + "=" + peerUrl(n.id));
        }
        // As the Helm chart does: every pod gets the list of the members the StatefulSet started with.
        this.clusterSpec = String.join(",", members);
        this.secret = Long.toHexString(ThreadLocalRandom.current().nextLong()) + Long.toHexString(ThreadLocalRandom.current().nextLong());
        for (Node n : nodes.values()) {
            createContainer(n);
        }
    }

    private Node newNode(int ordinal) {
        String id = STATEFUL_SET + "-" + ordinal;
        return new Node(id, subnet + "." + (10 + ordinal), name + "-" + id + "-data");
    }

    /** The node's volume and container, not started: a pod of the StatefulSet with its claim. */
    private void createContainer(Node n) {
        docker.createVolumeCmd().withName(n.volume).withLabels(labels()).exec();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RAFTKV_NODE_ID", n.id);
        env.put("RAFTKV_CLUSTER", clusterSpec);
        env.put("RAFTKV_PEER_ADVERTISE_URL", peerUrl(n.id));
        env.put("RAFTKV_ADVERTISE_URL", "http://" + n.ip + ":" + CLIENT_PORT);
        env.put("RAFTKV_PEER_SECRET", secret);
        env.put("SERVER_PORT", Integer.toString(CLIENT_PORT));
        env.put("RAFTKV_PEER_PORT", Integer.toString(PEER_PORT));
        env.put("JDK_JAVA_OPTIONS", options.jvmOptions);
        env.putAll(options.env);
        n.containerId = docker.createContainerCmd(image)
                .withName(name + "-" + n.id)
                .withHostName(n.id)
                .withLabels(labels())
                .withEnv(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .withHostConfig(HostConfig.newHostConfig()
                        .withNetworkMode(name)
                        .withBinds(new Bind(n.volume, new Volume("/data"))))
                .withIpv4Address(n.ip)
                .withAliases(n.id + "." + HEADLESS_SERVICE)
                .withStopTimeout((int) options.stopTimeout.toSeconds())
                .exec().getId();
    }

    /**
     * A scale-up: makes and starts the next ordinal's pod with the StatefulSet's member list (which
     * does not name it), as {@code kubectl scale} does. Returns its name.
     */
    @Override
    public synchronized String addNode() {
        Node n = newNode(nodes.size());
        nodes.put(n.id, n);
        createContainer(n);
        docker.startContainerCmd(n.containerId).exec();
        n.state = State.RUNNING;
        return n.id;
    }

    /**
     * A scale-down's end for one pod: its container and its claim are deleted (the test removes the
     * highest ordinals, as the StatefulSet controller does).
     */
    @Override
    public synchronized void removeNode(String id) {
        Node n = node(id);
        kill(id);
        removeContainer(docker, n.containerId);
        removeVolume(docker, n.volume);
        nodes.remove(id);
    }

    /** Kills the node, deletes its container and its volume, and makes both again, empty; {@link #start} runs it. */
    @Override
    public void loseDisk(String id) {
        Node n = node(id);
        kill(id);
        synchronized (n) {
            removeContainer(docker, n.containerId);
            removeVolume(docker, n.volume);
            createContainer(n);
            n.state = State.STOPPED;
        }
    }

    // ---------------------------------------------------------------- where things are

    @Override
    public List<String> nodes() {
        return List.copyOf(nodes.keySet());
    }

    @Override
    public URI clientUrl(String node) {
        return URI.create("http://" + node(node).ip + ":" + CLIENT_PORT);
    }

    /** The node's fixed address on the cluster's network. */
    public String ip(String node) {
        return node(node).ip;
    }

    /** The URL the other nodes use for this node's /raft endpoints (as in {@code RAFTKV_CLUSTER}). */
    public String peerUrl(String node) {
        return "http://" + node + "." + HEADLESS_SERVICE + ":" + PEER_PORT;
    }

    public String containerId(String node) {
        return node(node).containerId;
    }

    /** The Docker network's name (also the prefix of the containers' and volumes' names). */
    public String name() {
        return name;
    }

    /** Started and not stopped or killed (a paused node is running). */
    public boolean isRunning(String node) {
        return node(node).state != State.STOPPED;
    }

    public boolean isPaused(String node) {
        return node(node).state == State.PAUSED;
    }

    /** The exit code of the node's container's last run (137 = SIGKILL, 143 = exited on SIGTERM). */
    public OptionalLong exitCode(String node) {
        InspectContainerResponse.ContainerState s = docker.inspectContainerCmd(node(node).containerId).exec().getState();
        return Boolean.TRUE.equals(s.getRunning()) || s.getExitCodeLong() == null ? OptionalLong.empty() : OptionalLong.of(s.getExitCodeLong());
    }

    private Node node(String id) {
        Node n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id + " in " + nodes.keySet());
        }
        return n;
    }

    private long pid(Node n) {
        Long pid = docker.inspectContainerCmd(n.containerId).exec().getState().getPidLong();
        if (pid == null || pid == 0) {
            throw new IllegalStateException(n.id + " is not running");
        }
        return pid;
    }

    // ---------------------------------------------------------------- process faults

    @Override
    public void kill(String id) {
        Node n = node(id);
        synchronized (n) {
            if (n.state == State.STOPPED) {
                return;
            }
            try {
                docker.killContainerCmd(n.containerId).exec();
            } catch (RuntimeException e) {
                if (running(n)) {
                    throw e;
                }
            }
            awaitExit(n);
        }
        stoppedFaults(n);
    }

    @Override
    public void stop(String id) {
        Node n = node(id);
        synchronized (n) {
            if (n.state == State.STOPPED) {
                return;
            }
            if (n.state == State.PAUSED) {
                docker.unpauseContainerCmd(n.containerId).exec(); // a frozen JVM cannot handle SIGTERM
                n.state = State.RUNNING;
            }
            try {
                docker.stopContainerCmd(n.containerId).withTimeout((int) options.stopTimeout.toSeconds()).exec();
            } catch (NotModifiedException e) {
                // it had already exited
            }
            awaitExit(n);
        }
        stoppedFaults(n);
    }

    private void awaitExit(Node n) {
        docker.waitContainerCmd(n.containerId).exec(new WaitContainerResultCallback())
                .awaitStatusCode(options.stopTimeout.toSeconds() + 30, TimeUnit.SECONDS);
        n.state = State.STOPPED;
    }

    // Lock order: the faults' lock before a node's lock, never the other way round (a nemesis
    // thread partitions while another kills or starts nodes).
    private void stoppedFaults(Node n) {
        NetworkFaults f = faults;
        if (f != null) {
            f.forget(n.id);
        }
    }

    private boolean running(Node n) {
        return Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId).exec().getState().getRunning());
    }

    /**
     * Starts the stopped node's container again, on its volume and at its address. The partitions,
     * loss and delay in force apply to it again before its JVM has finished booting.
     */
    @Override
    public void start(String id) {
        Node n = node(id);
        synchronized (n) {
            if (n.state != State.STOPPED && !running(n)) {
                n.state = State.STOPPED; // it exited on its own (a crash, an OutOfMemoryError)
            }
            if (n.state != State.STOPPED) {
                throw new IllegalStateException(id + " is already running");
            }
            docker.startContainerCmd(n.containerId).exec();
            n.state = State.RUNNING;
        }
        // A new process has a new network namespace: give it the faults in force.
        NetworkFaults f = faults;
        if (f != null && faultsProblem == null) {
            synchronized (f) {
                if (f.any()) {
                    synchronized (n) {
                        if (n.state != State.STOPPED) {
                            f.apply(n.id, pid(n));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void pause(String id) {
        Node n = node(id);
        synchronized (n) {
            if (n.state != State.RUNNING) {
                throw new IllegalStateException(id + " is " + n.state.name().toLowerCase(Locale.ROOT) + ", not running");
            }
            docker.pauseContainerCmd(n.containerId).exec();
            n.state = State.PAUSED;
        }
    }

    @Override
    public void resume(String id) {
        Node n = node(id);
        synchronized (n) {
            if (n.state != State.PAUSED) {
                throw new IllegalStateException(id + " is not paused");
            }
            docker.unpauseContainerCmd(n.containerId).exec();
            n.state = State.RUNNING;
        }
    }

    // ---------------------------------------------------------------- network faults

    /** True when iptables can be run in the containers' namespaces here; else {@link #networkFaultsProblem} says why. */
    @Override
    public boolean supportsNetworkFaults() {
        return faultsProblem == null;
    }

    /** Why {@link #supportsNetworkFaults} is false, or null. */
    public String networkFaultsProblem() {
        return faultsProblem;
    }

    /** Cuts every link between a node of {@code a} and a node of {@code b}, both ways; other links stay. */
    @Override
    public void partition(Collection<String> a, Collection<String> b) {
        NetworkFaults f = requireFaults();
        for (String x : a) {
            node(x);
            for (String y : b) {
                node(y);
                if (x.equals(y)) {
                    throw new IllegalArgumentException(x + " is on both sides of the partition");
                }
            }
        }
        synchronized (f) {
            for (String x : a) {
                for (String y : b) {
                    f.cut(x, y);
                }
            }
            applyFaults(f);
        }
    }

    /** Cuts {@code node} off from every other node (the test JVM still reaches it). */
    public void isolate(String node) {
        partition(List.of(node), nodes.keySet().stream().filter(o -> !o.equals(node)).toList());
    }

    /** Whether the two nodes can talk to each other as far as partitions go (loss aside). */
    public boolean connected(String a, String b) {
        NetworkFaults f = faults;
        return f == null || f.connected(node(a).id, node(b).id);
    }

    /**
     * Whether a TCP connection from {@code from}'s container to {@code to}'s peer port opens within
     * a second: a direct look at the network, to check that faults took effect. See {@link #connectMillis}.
     */
    public boolean canReach(String from, String to) {
        return connectMillis(from, to, Duration.ofSeconds(1)).isPresent();
    }

    /**
     * How long opening a TCP connection from {@code from}'s container to {@code to}'s peer port
     * takes, measured inside {@code from} ({@code docker exec}, bash's /dev/tcp), or empty if it
     * does not open within {@code timeout}. A connection takes a SYN there and a SYN-ACK back, so
     * a delay set by {@link #setPacketLoss} shows twice. Both nodes must be running, not paused.
     */
    public OptionalLong connectMillis(String from, String to, Duration timeout) {
        Exec r = exec(from, timeout, "s=$(date +%s%N); exec 3<>/dev/tcp/" + node(to).ip + "/" + PEER_PORT
                + " || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))");
        if (r.exit() != 0) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(r.output().strip()));
        } catch (NumberFormatException e) {
            throw new IllegalStateException("unexpected output from the connection probe in " + from + ": " + r.output());
        }
    }

    /**
     * Whether an HTTP request sent from {@code from}'s container to {@code to}'s peer port gets a
     * status line back within {@code timeout} (any status: the probe has no peer credentials).
     */
    public boolean peerAnswers(String from, String to, Duration timeout) {
        Exec r = exec(from, timeout, "exec 3<>/dev/tcp/" + node(to).ip + "/" + PEER_PORT
                + " || exit 1; printf 'GET /raft/info HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3 || exit 2; head -c 12 <&3");
        return r.exit() == 0 && r.output().startsWith("HTTP/1.1 ");
    }

    private record Exec(long exit, String output) {
    }

    /** Runs a bash script inside the node's container ({@code docker exec}), for at most {@code timeout}. */
    private Exec exec(String node, Duration timeout, String script) {
        String exec = docker.execCreateCmd(node(node).containerId)
                .withCmd("timeout", String.format(Locale.ROOT, "%.3f", timeout.toMillis() / 1000.0), "bash", "-c", script)
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
        StringBuilder out = new StringBuilder();
        try {
            docker.execStartCmd(exec).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(timeout.toSeconds() + 10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Long exit = docker.inspectExecCmd(exec).exec().getExitCodeLong();
        return new Exec(exit == null ? -1 : exit, out.toString());
    }

    @Override
    public void heal() {
        NetworkFaults f = requireFaults();
        synchronized (f) {
            f.clear();
            applyFaults(f);
        }
    }

    /**
     * Drops {@code fraction} of the packets each node sends to the other nodes and delays the rest
     * by {@code delay} (so a peer request's round trip gains twice the delay); {@code (0, ZERO)}
     * removes both. Partitions stay as they are; this host's traffic is never touched.
     *
     * <p>Raft's timing sees this: with the default 150-300 ms election timeout even a 25 ms delay,
     * or the retransmission timeout (200 ms and up) after a lost packet, can leave a follower
     * without heartbeats long enough to start an election. For tests that want a slow network but
     * a stable leader, start the cluster with a longer timeout, e.g.
     * {@code new Options().env("RAFTKV_TIMING_ELECTION_TIMEOUT", "1s")}.
     */
    @Override
    public void setPacketLoss(double fraction, Duration delay) {
        if (!(fraction >= 0 && fraction <= 1) || delay.isNegative()) {
            throw new IllegalArgumentException("loss must be within [0, 1] and delay not negative");
        }
        NetworkFaults f = requireFaults();
        synchronized (f) {
            f.shape(fraction, delay);
            applyFaults(f);
        }
    }

    /**
     * Resets the connection on {@code probability} of the data-carrying TCP segments each node sends
     * to the other nodes (see {@link NetworkFaults}); 0 stops it. Partitions, loss and delay stay.
     */
    @Override
    public void setConnectionResets(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("the reset probability must be within [0, 1], not " + probability);
        }
        NetworkFaults f = requireFaults();
        synchronized (f) {
            f.resets(probability);
            applyFaults(f);
        }
    }

    private NetworkFaults requireFaults() {
        if (faultsProblem != null) {
            throw new UnsupportedOperationException("no network faults here: " + faultsProblem);
        }
        return faults;
    }

    private void applyFaults(NetworkFaults f) {
        for (Node n : nodes.values()) {
            synchronized (n) {
                if (n.state != State.STOPPED) {
                    f.apply(n.id, pid(n));
                }
            }
        }
    }

    // ---------------------------------------------------------------- state

    /** What every running, unpaused node says about itself: {id, role, leader or null}. */
    public Map<String, String[]> views() {
        Map<String, CompletableFuture<Optional<String[]>>> asked = new LinkedHashMap<>();
        for (Node n : nodes.values()) {
            if (n.state == State.RUNNING) {
                URI u = clientUrl(n.id);
                asked.put(n.id, CompletableFuture.supplyAsync(() -> ClusterHttp.view(u), pool));
            }
        }
        Map<String, String[]> views = new LinkedHashMap<>();
        asked.forEach((id, f) -> f.join().ifPresent(v -> views.put(id, v)));
        return views;
    }

    /**
     * The node that says it leads and that every answering node on its side of any partition
     * follows, when that side is a majority. Paused and stopped nodes are not asked; nodes cut off
     * from it are not expected to know it.
     */
    @Override
    public Optional<String> leader() {
        Map<String, String[]> views = views();
        int majority = Quorum.majority(nodes.size());
        for (String[] v : views.values()) {
            if (!"leader".equals(v[1])) {
                continue;
            }
            String l = v[0];
            List<String[]> side = views.entrySet().stream().filter(e -> connected(l, e.getKey())).map(Map.Entry::getValue).toList();
            if (side.size() >= majority && side.stream().allMatch(o -> l.equals(o[2]))) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    @Override
    public String awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            Optional<String> l = leader();
            if (l.isPresent()) {
                return l.get();
            }
            sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no leader within " + timeout + "\n" + describe());
    }

    /** Waits until every running, unpaused node reports ready. */
    @Override
    public void awaitReady(Duration timeout) {
        awaitReady(nodes.keySet(), timeout);
    }

    /** Waits until each of these nodes that is running and not paused reports ready. */
    public void awaitReady(Collection<String> which, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            List<CompletableFuture<Boolean>> asked = new ArrayList<>();
            for (String id : which) {
                Node n = node(id);
                if (n.state == State.RUNNING) {
                    URI u = clientUrl(id);
                    asked.add(CompletableFuture.supplyAsync(() -> ClusterHttp.ready(u), pool));
                }
            }
            if (asked.stream().allMatch(CompletableFuture::join)) {
                return;
            }
            sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(which + " not ready within " + timeout + "\n" + describe());
    }

    /** Each node's state and view, then the tail of its log: for failure messages. */
    public String describe() {
        Map<String, String[]> views = views();
        StringBuilder sb = new StringBuilder();
        NetworkFaults f = faults;
        if (f != null && f.any()) {
            sb.append("network faults in force; cut links: ");
            List<String> ids = nodes();
            for (int i = 0; i < ids.size(); i++) {
                for (int j = i + 1; j < ids.size(); j++) {
                    if (!connected(ids.get(i), ids.get(j))) {
                        sb.append(ids.get(i)).append("-x-").append(ids.get(j)).append(' ');
                    }
                }
            }
            sb.append('\n');
        }
        for (Node n : nodes.values()) {
            String[] v = views.get(n.id);
            sb.append("--- ").append(n.id).append(" (").append(n.ip).append(", ").append(n.state.name().toLowerCase(Locale.ROOT))
                    .append(v == null ? ", no answer" : ", role " + v[1] + ", leader " + v[2]).append(") log tail:\n");
            List<String> lines = logs(n.id).lines().toList();
            lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(l -> sb.append("  ").append(l).append('\n'));
        }
        return sb.toString();
    }

    /** The node's container log (all its runs, stdout and stderr). */
    @Override
    public String logs(String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            docker.logContainerCmd(node(id).containerId).withStdOut(true).withStdErr(true)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            out.writeBytes(frame.getPayload());
                        }
                    }).awaitCompletion(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            return "(no log: " + e + ")";
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- clean-up

    /** Saves the logs, then removes the containers, their volumes and the network. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        NetworkFaults f = faults;
        if (f != null) {
            f.close();
        }
        Path dir = options.logDir.resolve(name);
        for (Node n : nodes.values()) {
            if (n.containerId == null) {
                continue;
            }
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(n.id + ".log"), logs(n.id));
            } catch (IOException | RuntimeException e) {
                say("could not save the log of %s: %s", n.id, e);
            }
            removeContainer(docker, n.containerId);
        }
        for (Node n : nodes.values()) {
            removeVolume(docker, n.volume);
        }
        if (networkId != null) {
            removeNetwork(docker, networkId);
        }
        pool.shutdownNow();
        OPEN.remove(this);
    }

    private static void removeContainer(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
            // gone already
        } catch (RuntimeException e) {
            try {
                docker.unpauseContainerCmd(id).exec(); // an engine that will not remove a frozen container
            } catch (RuntimeException ignored) {
                // not paused
            }
            try {
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            } catch (RuntimeException again) {
                say("could not remove container %s: %s", id, again);
            }
        }
    }

    private static void removeVolume(DockerClient docker, String volume) {
        try {
            docker.removeVolumeCmd(volume).exec();
        } catch (NotFoundException e) {
            // never created
        } catch (RuntimeException e) {
            say("could not remove volume %s: %s", volume, e);
        }
    }

    private static void removeNetwork(DockerClient docker, String id) {
        try {
            docker.removeNetworkCmd(id).exec();
        } catch (NotFoundException e) {
            // gone already
        } catch (RuntimeException e) {
            say("could not remove network %s: %s", id, e);
        }
    }

    /**
     * Removes what earlier test JVMs on this host left behind when they died without cleaning up
     * (SIGKILL, a crashed fork): everything labelled with an owner process that no longer exists.
     * Clusters of live JVMs (other engineers' runs on the same engine) are left alone.
     */
    private static synchronized void reapLeftovers(DockerClient docker) {
        if (reaped) {
            return;
        }
        reaped = true;
        try {
            Set<String> dead = new HashSet<>();
            for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(LABEL_OWNER)).exec()) {
                if (ownerGone(c.getLabels().get(LABEL_OWNER))) {
                    dead.add(c.getLabels().get(LABEL_CLUSTER));
                    removeContainer(docker, c.getId());
                }
            }
            for (InspectVolumeResponse v : docker.listVolumesCmd().withFilter("label", List.of(LABEL_OWNER)).exec().getVolumes()) {
                if (ownerGone(v.getLabels().get(LABEL_OWNER))) {
                    removeVolume(docker, v.getName());
                }
            }
            for (Network n : docker.listNetworksCmd().withFilter("label", List.of(LABEL_OWNER)).exec()) {
                if (ownerGone(n.getLabels().get(LABEL_OWNER))) {
                    dead.add(n.getLabels().get(LABEL_CLUSTER));
                    removeNetwork(docker, n.getId());
                }
            }
            for (Image i : docker.listImagesCmd().withLabelFilter(LABEL_OWNER).exec()) {
                if (ownerGone(i.getLabels().get(LABEL_OWNER)) && i.getRepoTags() != null) {
                    for (String tag : i.getRepoTags()) {
                        try {
                            docker.removeImageCmd(tag).exec();
                        } catch (RuntimeException e) {
                            // in use or gone
                        }
                    }
                }
            }
            dead.remove(null);
            if (!dead.isEmpty()) {
                say("removed leftovers of clusters whose test JVM is gone: %s", dead);
            }
        } catch (RuntimeException e) {
            say("could not look for leftovers of earlier runs: %s", e);
        }
    }

    /** Whether the JVM that labelled a resource {@code pid@start@host} has exited (only decidable on this host). */
    static boolean ownerGone(String owner) {
        if (owner == null) {
            return false;
        }
        String[] p = owner.split("@", 3);
        if (p.length != 3 || !p[2].equals(hostname())) {
            return false;
        }
        try {
            long pid = Long.parseLong(p[0]);
            long start = Long.parseLong(p[1]);
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return true;
            }
            // The pid was reused by a process that started at another time.
            return h.get().info().startInstant().map(i -> Math.abs(i.toEpochMilli() - start) > 2000).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/etc/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            String h = System.getenv("HOSTNAME");
            return h == null ? "unknown" : h;
        }
    }

    static void say(String format, Object... args) {
        System.out.println("[container-cluster] " + String.format(Locale.ROOT, format, args));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
