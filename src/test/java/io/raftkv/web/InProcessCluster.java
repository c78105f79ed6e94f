package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import io.raftkv.config.NodeParts;
import io.raftkv.node.Clock;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Message;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cluster of whole nodes (Spring, Tomcat, the real web layer and node runtime) in this JVM, with
 * in-memory storage and an in-memory network instead of disks and the peer port, so web tests can
 * see redirects, leader changes and stops in seconds without starting processes.
 */
final class InProcessCluster implements AutoCloseable {
    private final Map<String, String> clientUrls = new LinkedHashMap<>();
    private final Map<String, ConfigurableApplicationContext> contexts = new LinkedHashMap<>();
    /** The nodes the network delivers to; a stopped node is gone from here, and what is sent to it is lost. */
    private final Map<String, RaftKvNode> reachable = new ConcurrentHashMap<>();

    InProcessCluster(int size, Path dataDir) {
        List<String> peers = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            clientUrls.put("n" + i, "http://127.0.0.1:" + WebHttp.freePort());
            // Only the membership uses peer URLs: messages travel in memory.
            peers.add("n" + i + "=http://127.0.0.1:" + WebHttp.freePort());
        }
        for (String id : clientUrls.keySet()) {
            ConfigurableApplicationContext ctx = new SpringApplicationBuilder(RaftKvApplication.class)
                    .initializers(c -> c.getBeanFactory().registerSingleton("inProcessNodeParts", parts(id)))
                    .run("--raftkv.node-id=" + id, "--raftkv.cluster=" + String.join(",", peers),
                            "--server.port=" + port(id), "--raftkv.peer-port=" + WebHttp.freePort(),
                            "--raftkv.advertise-url=" + clientUrls.get(id), "--raftkv.data-dir=" + dataDir.resolve(id),
                            "--logging.level.root=warn");
            contexts.put(id, ctx);
            reachable.put(id, ctx.getBean(RaftKvNode.class));
        }
    }

    private NodeParts parts(String id) {
        return (settings, metrics) -> new RaftKvNode.Parts(
                new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore()),
                "in-process", (directory, unreachable, gone, snapshotOutcome) -> new RaftKvNode.Transport() {
                    @Override
                    public void send(Message m) {
                        RaftKvNode to = reachable.get(m.to());
                        if (to != null) {
                            // What the peer headers carry on a real network: each side learns the other's client URL.
                            directory.learned(m.to(), clientUrls.get(m.to()));
                            to.directory().learned(id, clientUrls.get(id));
                            to.receive(List.of(m));
                        }
                    }

                    @Override
                    public void close() {
                    }
                }, Clock.SYSTEM, null);
    }

    List<String> ids() {
        return List.copyOf(contexts.keySet());
    }

    String clientUrl(String id) {
        return clientUrls.get(id);
    }

    int port(String id) {
        String url = clientUrls.get(id);
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    }

    WebHttp http(String id) {
        return new WebHttp(port(id));
    }

    /** The leader all running nodes agree on, once there is one. */
    String awaitLeader(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> leader = agreedLeader();
            if (leader.isPresent()) {
                return leader.get();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no leader that every running node follows within " + wait);
    }

    private Optional<String> agreedLeader() {
        List<String> seen = new ArrayList<>();
        for (ConfigurableApplicationContext ctx : contexts.values()) {
            var s = ctx.getBean(RaftKvNode.class).status();
            if (s.leader() == null || !s.routable()) {
                return Optional.empty();
            }
            seen.add(s.leader());
        }
        return seen.stream().distinct().count() == 1 && contexts.containsKey(seen.get(0)) ? Optional.of(seen.get(0)) : Optional.empty();
    }

    /** Stops a node as SIGTERM does (a leader hands over first), then cuts it off the network. */
    void stop(String id) {
        contexts.remove(id).close();
        reachable.remove(id);
    }

    @Override
    public void close() {
        for (String id : List.copyOf(contexts.keySet())) {
            stop(id);
        }
    }
}
