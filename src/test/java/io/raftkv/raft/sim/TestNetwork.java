package io.raftkv.raft.sim;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.node.NodeDriver;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.ReadState;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A cluster wired together synchronously, for tests that script each step (like etcd's
 * {@code network} in raft_test.go): messages are delivered at once, in order, unless a link is cut
 * or a filter drops them. Everything sent is recorded so tests can count and inspect it.
 */
public final class TestNetwork {
    private final Map<String, LocalNode> nodes = new LinkedHashMap<>();
    private final Set<String> cutLinks = new HashSet<>();
    private final List<Message> sent = new ArrayList<>();
    /** What the drivers sent in the current round; delivered by {@link #stabilize}. */
    private final List<Message> outbox = new ArrayList<>();
    private final Map<String, List<ReadState>> readStates = new LinkedHashMap<>();
    private final Map<String, List<Long>> failedReads = new LinkedHashMap<>();
    private final Random random;
    private Predicate<Message> filter = m -> true;

    public TestNetwork(int size, long seed) {
        this(size, seed, RaftConfig.defaults("n1"));
    }

    public TestNetwork(int size, long seed, RaftConfig template) {
        this(size, seed, template, 0, 0);
    }

    /** With each node snapshotting its state machine every {@code snapshotEvery} applied entries. */
    public TestNetwork(int size, long seed, RaftConfig template, long snapshotEvery, long trailingEntries) {
        this.random = new Random(seed);
        List<Peer> peers = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            peers.add(new Peer("n" + i, "sim://n" + i));
        }
        Membership membership = new Membership(peers);
        for (Peer p : peers) {
            RaftStorage storage = new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore());
            storage.bootstrap(membership);
            LocalNode node = new LocalNode(template.withId(p.id()), () -> storage);
            node.snapshotEvery = snapshotEvery;
            node.trailingEntries = trailingEntries;
            nodes.put(p.id(), node);
            start(node);
        }
    }

    /**
     * Adds a node with an empty data directory that is not yet a member: it knows no voters, so it
     * never campaigns, and learns the cluster from the leader once the leader adds it.
     */
    public LocalNode join(String id) {
        RaftStorage storage = new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore());
        storage.bootstrap(new Membership(List.of(), List.of(), Set.of()));
        LocalNode template = nodes.values().iterator().next();
        LocalNode node = new LocalNode(template.cfg.withId(id), () -> storage);
        node.snapshotEvery = template.snapshotEvery;
        node.trailingEntries = template.trailingEntries;
        nodes.put(id, node);
        start(node);
        return node;
    }

    /** The production driver, applying at once; read states the core confirms are kept for {@link #takeReadStates}. */
    private void start(LocalNode node) {
        NodeDriver.Observer reads = new NodeDriver.Observer() {
            @Override
            public void afterPersist(Ready rd) {
                readStates.computeIfAbsent(node.id, k -> new ArrayList<>()).addAll(rd.readStates());
                failedReads.computeIfAbsent(node.id, k -> new ArrayList<>()).addAll(rd.failedReads());
            }
        };
        node.start(new Random(random.nextLong()),
                new LocalNode.Wiring(outbox::add, reads, () -> 0, a -> a, (c, i) -> { }));
    }

    /** Carries out what the inputs so far caused on {@code node}, through its driver. */
    private void process(LocalNode node) {
        node.driver.process();
        if (node.driver.failure() != null) {
            throw new IllegalStateException(node.id + " failed: " + node.driver.failure(), node.driver.failureCause());
        }
    }

    public RaftNode raft(String id) {
        return nodes.get(id).raft;
    }

    public LocalNode node(String id) {
        return nodes.get(id);
    }

    public List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    /** Delivers messages until nothing more is said. */
    public void stabilize() {
        for (int round = 0; round < 100_000; round++) {
            for (LocalNode n : nodes.values()) {
                if (n.up) {
                    process(n);
                }
            }
            List<Message> out = new ArrayList<>(outbox);
            outbox.clear();
            if (out.isEmpty()) {
                return;
            }
            sent.addAll(out);
            for (Message m : out) {
                deliver(m);
            }
        }
        throw new IllegalStateException("the cluster never went quiet");
    }

    /** Steps {@code m} into its target now, unless the link is cut, the target is down or the filter drops it. */
    public void deliver(Message m) {
        LocalNode to = nodes.get(m.to());
        if (to != null && to.up && !cutLinks.contains(m.from() + "->" + m.to()) && filter.test(m)) {
            to.driver.step(m);
        }
    }

    public void tick(String id, int ticks) {
        for (int i = 0; i < ticks; i++) {
            if (nodes.get(id).up) {
                nodes.get(id).driver.tick();
            }
            stabilize();
        }
    }

    public void tickAll(int ticks) {
        for (int i = 0; i < ticks; i++) {
            for (LocalNode n : nodes.values()) {
                if (n.up) {
                    n.driver.tick();
                }
            }
            stabilize();
        }
    }

    /**
     * Makes {@code id} campaign now and delivers the election. First lets a minimum election timeout
     * pass on every node that is not a leader, with whatever they say meanwhile lost, because a voter
     * that heard from a leader more recently than that ignores vote requests (leader stickiness).
     */
    public void elect(String id) {
        for (LocalNode n : nodes.values()) {
            if (n.up && n.raft.role() != Role.LEADER) {
                for (int i = 0; i < n.cfg.electionTicks(); i++) {
                    n.driver.tick();
                }
                process(n);
                outbox.clear();
            }
        }
        raft(id).campaign();
        stabilize();
        if (raft(id).role() != Role.LEADER) {
            throw new IllegalStateException(id + " did not win: " + this);
        }
    }

    public String leader() {
        String found = null;
        for (LocalNode n : nodes.values()) {
            if (n.up && n.raft.role() == Role.LEADER) {
                if (found != null && raft(found).term() == n.raft.term()) {
                    throw new IllegalStateException("two leaders in one term: " + this);
                }
                if (found == null || n.raft.term() > raft(found).term()) {
                    found = n.id;
                }
            }
        }
        return found;
    }

    public void cut(String a, String b) {
        cutLinks.add(a + "->" + b);
        cutLinks.add(b + "->" + a);
    }

    public void cutOneWay(String from, String to) {
        cutLinks.add(from + "->" + to);
    }

    public void isolate(String id) {
        for (String other : nodes.keySet()) {
            if (!other.equals(id)) {
                cut(id, other);
            }
        }
    }

    public void heal() {
        cutLinks.clear();
        filter = m -> true;
    }

    public void setFilter(Predicate<Message> filter) {
        this.filter = filter;
    }

    public void crash(String id) {
        nodes.get(id).crash();
    }

    public void restart(String id) {
        start(nodes.get(id));
    }

    /** Reads confirmed on {@code id} since the last call. */
    public List<ReadState> takeReadStates(String id) {
        List<ReadState> out = readStates.getOrDefault(id, new ArrayList<>());
        readStates.remove(id);
        return out;
    }

    /** Reads the core on {@code id} gave up on since the last call. */
    public List<Long> takeFailedReads(String id) {
        List<Long> out = failedReads.getOrDefault(id, new ArrayList<>());
        failedReads.remove(id);
        return out;
    }

    /** Everything sent since the last call. */
    public List<Message> takeSent() {
        List<Message> out = new ArrayList<>(sent);
        sent.clear();
        return out;
    }

    @Override
    public String toString() {
        return nodes.values().toString();
    }
}
