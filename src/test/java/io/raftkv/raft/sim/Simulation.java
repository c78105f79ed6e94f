package io.raftkv.raft.sim;

import io.raftkv.check.KvOp;
import io.raftkv.check.LinearizabilityChecker;
import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.Entry;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Proposal;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.ReadState;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import io.raftkv.raft.storage.StorageFailedException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A whole raftkv cluster in one thread: simulated time, a seeded network that delays, reorders,
 * duplicates, drops and partitions messages, crashes and restarts (what was persisted survives,
 * nothing else), clients doing writes, compare-and-sets and ReadIndex reads, and the Raft safety
 * invariants checked after every step. Everything random comes from the seed, so a failing seed
 * replays exactly.
 */
public final class Simulation {
    public static final int TICK_MS = 10;
    private static final long CLIENT_TIMEOUT_MS = 1_000;

    /** Opens the durable storage of a node; called again after each crash. */
    public interface StorageFactory {
        Supplier<RaftStorage> storageFor(String nodeId, Membership membership, Random random);

        /** Drops whatever the node's storage had not made durable; called when the node crashes. */
        default void crash(String nodeId) {
        }

        /** Makes the node's disk fail after a few more operations, if this storage can (a power cut mid-write). */
        default void haltSoon(String nodeId, int steps) {
        }
    }

    /** Storage that keeps every write at once: the in-memory twins. */
    public static final StorageFactory MEMORY = (id, membership, random) -> {
        RaftStorage storage = new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore());
        storage.bootstrap(membership);
        return () -> storage;
    };

    private record Scheduled(long time, long seq, Runnable action) {
    }

    private record Request(int client, long attempt, KvOp.Kind kind, String key, String value, String expected) {
    }

    private enum Status { OK, REDIRECT, NOT_APPLIED }

    private record Response(int client, long attempt, Status status, String value, boolean swapped, String leaderHint) {
    }

    private record PendingWrite(long term, Request request) {
    }

    private record WaitingRead(long index, Request request) {
    }

    /** A node with the client-facing parts a real node has: waiting writes and reads. */
    private final class SimNode implements LocalNode.Hooks {
        final LocalNode local;
        final Map<Long, PendingWrite> pendingWrites = new HashMap<>();
        final Map<Long, Request> pendingReads = new LinkedHashMap<>();
        final List<WaitingRead> waitingReads = new ArrayList<>();
        long readSeq;
        boolean crashMidReady;

        SimNode(LocalNode local) {
            this.local = local;
        }

        String id() {
            return local.id;
        }

        @Override
        public boolean beforePersist(LocalNode n, Ready rd) {
            safety.beforePersist(n, rd);
            if (crashMidReady && rd.mustPersist()) {
                crashMidReady = false;
                trace.add(now, id(), "CRASH mid-Ready, before persisting " + rd.entries().size() + " entries");
                return false;
            }
            return true;
        }

        @Override
        public void afterPersist(LocalNode n, Ready rd) {
            safety.afterPersist(n, rd);
        }

        @Override
        public void applied(LocalNode n, Entry e, boolean result) {
            safety.applied(n, e);
            PendingWrite w = pendingWrites.remove(e.index());
            if (w != null) {
                Status s = w.term() == e.term() ? Status.OK : Status.NOT_APPLIED;
                reply(this, new Response(w.request().client(), w.request().attempt(), s, null, result, null));
            }
        }

        @Override
        public void readReady(LocalNode n, ReadState rs) {
            Request r = pendingReads.remove(rs.requestId());
            if (r != null) {
                waitingReads.add(new WaitingRead(rs.index(), r));
            }
        }

        @Override
        public void afterAdvance(LocalNode n, Ready rd) {
            safety.afterAdvance(n, rd);
            if (rd.softState() != null) {
                trace.add(now, id(), rd.softState());
                if (rd.softState().role() != Role.LEADER) {
                    // Unconfirmed reads had no effect; the client may try elsewhere.
                    for (Request r : pendingReads.values()) {
                        reply(this, new Response(r.client(), r.attempt(), Status.REDIRECT, null, false, n.raft.leader()));
                    }
                    pendingReads.clear();
                }
            }
            Iterator<WaitingRead> it = waitingReads.iterator();
            while (it.hasNext()) {
                WaitingRead w = it.next();
                if (w.index() <= n.sm.appliedIndex()) {
                    it.remove();
                    Request r = w.request();
                    reply(this, new Response(r.client(), r.attempt(), Status.OK, n.sm.get(r.key()), false, null));
                }
            }
        }

        void crash() {
            local.crash();
            storage.crash(id());
            safety.onCrash(local);
            pendingWrites.clear();
            pendingReads.clear();
            waitingReads.clear();
            crashMidReady = false;
        }
    }

    /** A client with one operation at a time, like a Jepsen process. */
    private final class SimClient {
        final int id;
        final List<Request> script;
        String target;
        long attempt;
        Request current;
        long invokedAt;
        long deadline;
        boolean writeMayBeInFlight;
        int ops;
        final Map<String, String> lastSeen = new HashMap<>();
        boolean done;

        SimClient(int id, List<Request> script) {
            this.id = id;
            this.script = script;
        }

        void startNext() {
            if (script != null ? ops >= script.size() : now >= clientsStopAt) {
                done = true;
                return;
            }
            current = script != null ? script.get(ops) : randomOp();
            ops++;
            invokedAt = now;
            deadline = now + CLIENT_TIMEOUT_MS;
            writeMayBeInFlight = false;
            send();
        }

        private Request randomOp() {
            String key = "k" + rnd.nextInt(cfg.keys());
            String value = "c" + id + "." + ops;
            int dice = rnd.nextInt(100);
            if (dice < 40) {
                return new Request(id, 0, KvOp.Kind.GET, key, null, null);
            } else if (dice < 75) {
                return new Request(id, 0, KvOp.Kind.PUT, key, value, null);
            } else if (dice < 92) {
                return new Request(id, 0, KvOp.Kind.CAS, key, value, lastSeen.get(key));
            }
            return new Request(id, 0, KvOp.Kind.DELETE, key, null, null);
        }

        void send() {
            if (now >= deadline) {
                // Every attempt so far was refused before it was proposed (or this is a read).
                finish(KvOp.Outcome.FAILED, null, false);
                return;
            }
            attempt++;
            if (target == null || !nodes.containsKey(target)) {
                target = ids.get(rnd.nextInt(ids.size()));
            }
            Request r = new Request(id, attempt, current.kind(), current.key(), current.value(), current.expected());
            if (r.kind() != KvOp.Kind.GET) {
                writeMayBeInFlight = true;
            }
            SimNode node = nodes.get(target);
            long sentAttempt = attempt;
            schedule(1 + rnd.nextInt(3), () -> onRequest(node, r));
            long timeout = r.kind() == KvOp.Kind.GET ? 300 : deadline - now;
            schedule(timeout, () -> {
                if (current != null && attempt == sentAttempt) {
                    onTimeout();
                }
            });
        }

        void onTimeout() {
            if (current.kind() == KvOp.Kind.GET && now < deadline) {
                target = null;
                send();
                return;
            }
            finish(KvOp.Outcome.UNKNOWN, null, false);
        }

        void onResponse(Response resp) {
            if (current == null || resp.attempt() != attempt) {
                return; // an answer to an attempt we gave up on
            }
            switch (resp.status()) {
                case OK -> finish(KvOp.Outcome.OK, resp.value(), resp.swapped());
                case NOT_APPLIED -> finish(KvOp.Outcome.FAILED, null, false);
                case REDIRECT -> {
                    // The node refused before proposing: this attempt certainly had no effect.
                    writeMayBeInFlight = false;
                    if (now >= deadline) {
                        finish(KvOp.Outcome.FAILED, null, false);
                        return;
                    }
                    target = resp.leaderHint();
                    // With no leader known an election is running: back off rather than hammer the cluster.
                    long backoff = target != null ? 1 : 50 + rnd.nextInt(50);
                    attempt++; // so a late timeout of the refused attempt is ignored
                    schedule(backoff, this::send);
                }
            }
        }

        void finish(KvOp.Outcome outcome, String readValue, boolean swapped) {
            Request r = current;
            if (outcome == KvOp.Outcome.UNKNOWN && r.kind() == KvOp.Kind.GET) {
                outcome = KvOp.Outcome.FAILED;
            }
            if (outcome == KvOp.Outcome.UNKNOWN && !writeMayBeInFlight) {
                outcome = KvOp.Outcome.FAILED;
            }
            long end = now;
            KvOp op = switch (r.kind()) {
                case GET -> outcome == KvOp.Outcome.OK ? KvOp.get(id, r.key(), readValue, invokedAt, end)
                        : new KvOp(id, KvOp.Kind.GET, r.key(), null, null, true, invokedAt, end, outcome);
                case PUT -> KvOp.put(id, r.key(), r.value(), invokedAt, end, outcome);
                case DELETE -> KvOp.delete(id, r.key(), invokedAt, end, outcome);
                case CAS -> KvOp.cas(id, r.key(), r.expected(), r.value(), swapped, invokedAt, end, outcome);
            };
            history.add(op);
            trace.add(now, "c" + id, op);
            if (outcome == KvOp.Outcome.OK) {
                switch (r.kind()) {
                    case GET -> lastSeen.put(r.key(), readValue);
                    case PUT -> lastSeen.put(r.key(), r.value());
                    case DELETE -> lastSeen.remove(r.key());
                    case CAS -> {
                        if (swapped) {
                            lastSeen.put(r.key(), r.value());
                        }
                    }
                }
                if (r.kind() != KvOp.Kind.GET && invokedAt >= healedAt && firstWriteAfterHeal < 0) {
                    firstWriteAfterHeal = end - healedAt;
                }
            }
            current = null;
            schedule(rnd.nextInt(10), this::startNext);
        }
    }

    private final long seed;
    private final SimConfig cfg;
    private final Random rnd;
    private final StorageFactory storage;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>(
            (a, b) -> a.time() != b.time() ? Long.compare(a.time(), b.time()) : Long.compare(a.seq(), b.seq()));
    private long seq;
    private long now;
    private final List<String> ids = new ArrayList<>();
    private final Map<String, SimNode> nodes = new LinkedHashMap<>();
    private final List<SimClient> clients = new ArrayList<>();
    private final List<KvOp> history = new ArrayList<>();
    private final Trace trace = new Trace(600);
    private final SafetyChecker safety;
    private final Set<String> cutLinks = new HashSet<>();
    private double dropRate;
    private double dupRate;
    private int maxDelayMs;
    private long clientsStopAt = Long.MAX_VALUE;
    private long healedAt = Long.MAX_VALUE;
    private long firstWriteAfterHeal = -1;
    private final Map<Class<?>, Long> messagesSent = new HashMap<>();
    private long appendEntriesWithEntries;

    public Simulation(long seed, SimConfig cfg) {
        this(seed, cfg, MEMORY);
    }

    public Simulation(long seed, SimConfig cfg, StorageFactory storage) {
        this.seed = seed;
        this.cfg = cfg;
        this.rnd = new Random(seed);
        this.storage = storage;
        this.safety = new SafetyChecker(this::fail);
        this.maxDelayMs = cfg.maxDelayMs();
        List<Peer> peers = new ArrayList<>();
        for (int i = 1; i <= cfg.nodes(); i++) {
            peers.add(new Peer("n" + i, "sim://n" + i));
            ids.add("n" + i);
        }
        Membership membership = new Membership(peers);
        for (String id : ids) {
            LocalNode local = new LocalNode(cfg.raft().withId(id), storage.storageFor(id, membership, new Random(rnd.nextLong())));
            local.snapshotEvery = cfg.snapshotEvery();
            local.trailingEntries = cfg.trailingEntries();
            SimNode node = new SimNode(local);
            nodes.put(id, node);
            local.start(new Random(rnd.nextLong()));
            long phase = rnd.nextInt(TICK_MS);
            schedule(phase, () -> tick(node));
        }
    }

    // ---------------------------------------------------------------- running

    /** Result of a full run: the history was linearizable, every invariant held, and the cluster recovered in time. */
    public record Outcome(long seed, int operations, long okOperations, long unknownOperations, long elections,
                          long simulatedMs, long healToWriteMs) {
    }

    /**
     * The standard run: clients and the nemesis for {@code faultMs}, then everything heals; a write
     * must commit within the liveness bound; clients stop, final reads check every key, and the whole
     * history is checked for linearizability.
     */
    public Outcome run() {
        try {
            return runChecked();
        } catch (SimulationFailure f) {
            throw f;
        } catch (RuntimeException e) {
            // The core's own sanity checks (commit beyond the log, overwriting a committed entry...) end here.
            java.io.StringWriter stack = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(stack));
            fail("unexpected " + stack.toString().lines().limit(8).reduce((a, b) -> a + "\n    " + b).orElse(""));
            return null;
        }
    }

    private Outcome runChecked() {
        for (int i = 0; i < cfg.clients(); i++) {
            SimClient c = new SimClient(i, null);
            clients.add(c);
            schedule(rnd.nextInt(50), c::startNext);
        }
        if (cfg.faultMs() > 0) {
            schedule(nemesisGap(), this::nemesis);
        }
        runUntil(cfg.faultMs());
        heal();
        runUntil(now + cfg.livenessBoundMs(), () -> firstWriteAfterHeal >= 0);
        if (firstWriteAfterHeal < 0) {
            fail("liveness: no write committed within " + cfg.livenessBoundMs() + " ms after the faults healed");
        }
        clientsStopAt = now + 500;
        runUntil(clientsStopAt + 3 * CLIENT_TIMEOUT_MS, () -> clients.stream().allMatch(c -> c.done));
        if (!clients.stream().allMatch(c -> c.done)) {
            fail("clients still busy long after they stopped");
        }
        finalReads();
        checkConvergence();
        LinearizabilityChecker.Result lin;
        try {
            lin = new LinearizabilityChecker().check(history);
        } catch (IllegalStateException e) {
            fail("the linearizability checker could not decide: " + e.getMessage());
            return null;
        }
        if (!lin.linearizable()) {
            StringBuilder sb = new StringBuilder(lin.explanation()).append(":\n");
            lin.history().forEach(op -> sb.append("    ").append(op).append('\n'));
            fail(sb.toString());
        }
        return new Outcome(seed, history.size(), history.stream().filter(o -> o.outcome() == KvOp.Outcome.OK).count(),
                history.stream().filter(o -> o.outcome() == KvOp.Outcome.UNKNOWN).count(), safety.elections, now,
                firstWriteAfterHeal);
    }

    /** Every key is read once more, linearizably, after everything else: acknowledged writes must be there. */
    private void finalReads() {
        List<Request> reads = new ArrayList<>();
        for (int k = 0; k < cfg.keys(); k++) {
            reads.add(new Request(1000, 0, KvOp.Kind.GET, "k" + k, null, null));
        }
        SimClient reader = new SimClient(1000, reads);
        clients.add(reader);
        reader.startNext();
        runUntil(now + 10_000, () -> reader.done);
        long answered = history.stream().filter(o -> o.client() == 1000 && o.outcome() == KvOp.Outcome.OK).count();
        if (answered != cfg.keys()) {
            fail("final reads: only " + answered + " of " + cfg.keys() + " keys could be read on a healed cluster");
        }
    }

    /** Once quiet, every node applies the same entries and holds the same data. */
    private void checkConvergence() {
        runUntil(now + 5_000, () -> {
            SimNode leader = leaderNode();
            if (leader == null) {
                return false;
            }
            long commit = leader.local.raft.commitIndex();
            return nodes.values().stream().allMatch(n -> n.local.up && n.local.sm.appliedIndex() == commit);
        });
        Map<String, String> reference = null;
        for (SimNode n : nodes.values()) {
            if (!n.local.up) {
                fail("node " + n.id() + " is down after healing");
            }
            Map<String, String> data = n.local.sm.contents();
            if (reference == null) {
                reference = data;
            } else if (!reference.equals(data)) {
                fail("nodes disagree after healing: " + reference + " vs " + n.id() + " " + data);
            }
        }
        if (leaderNode() == null || nodes.values().stream().anyMatch(n -> n.local.sm.appliedIndex()
                != leaderNode().local.raft.commitIndex())) {
            fail("the cluster did not converge within 5 s of quiet: " + nodes.values().stream().map(n -> n.local).toList());
        }
    }

    public void runUntil(long time) {
        runUntil(time, () -> false);
    }

    /** Runs events until {@code time} or until {@code done} holds (checked after every event). */
    public void runUntil(long time, Supplier<Boolean> done) {
        while (!queue.isEmpty() && queue.peek().time() <= time) {
            Scheduled s = queue.poll();
            now = s.time();
            s.action().run();
            if (done.get()) {
                return;
            }
        }
        now = Math.max(now, time);
    }

    private void schedule(long delay, Runnable action) {
        if (delay < 0) {
            throw new IllegalArgumentException("simulated time never runs backwards (delay " + delay + ")");
        }
        queue.add(new Scheduled(now + delay, seq++, action));
    }

    private void fail(String problem) {
        throw new SimulationFailure(seed, problem + "\n  cluster: " + nodes.values().stream().map(n -> n.local).toList(),
                trace.render());
    }

    // ---------------------------------------------------------------- nodes and network

    private void tick(SimNode node) {
        if (node.local.up) {
            guarded(node, node.local.raft::tick);
        }
        schedule(TICK_MS, () -> tick(node));
    }

    /** Runs an input on a node's core; a storage failure while doing so stops the node like a crash. */
    private void guarded(SimNode node, Runnable input) {
        try {
            input.run();
        } catch (StorageFailedException e) {
            trace.add(now, node.id(), "STORAGE FAILED: " + e.getMessage());
            node.local.crash();
            node.crash();
            scheduleRestart(node);
            return;
        }
        process(node);
    }

    private void process(SimNode node) {
        List<Message> out = new ArrayList<>();
        boolean alive = node.local.processReady(out, node);
        for (Message m : out) {
            send(m);
        }
        if (!alive && !node.local.up) {
            node.crash();
            scheduleRestart(node);
        }
    }

    private void send(Message m) {
        messagesSent.merge(m.getClass(), 1L, Long::sum);
        if (m instanceof AppendEntries ae && !ae.entries().isEmpty()) {
            appendEntriesWithEntries++;
        }
        if (cutLinks.contains(m.from() + "->" + m.to()) || rnd.nextDouble() < dropRate) {
            return;
        }
        deliverLater(m);
        if (rnd.nextDouble() < dupRate) {
            deliverLater(m);
        }
    }

    private void deliverLater(Message m) {
        long delay = 1 + rnd.nextInt(Math.max(1, maxDelayMs));
        if (rnd.nextInt(50) == 0) {
            delay += rnd.nextInt(200); // a straggler, overtaken by later messages
        }
        schedule(delay, () -> {
            SimNode to = nodes.get(m.to());
            if (to.local.up && !cutLinks.contains(m.from() + "->" + m.to())) {
                trace.add(now, m.to(), m);
                guarded(to, () -> to.local.raft.step(m));
            }
        });
    }

    private void onRequest(SimNode node, Request r) {
        if (!node.local.up) {
            return;
        }
        trace.add(now, node.id(), r);
        guarded(node, () -> request(node, r));
    }

    private void request(SimNode node, Request r) {
        try {
            if (r.kind() == KvOp.Kind.GET) {
                long rid = ++node.readSeq;
                node.local.raft.readIndex(rid);
                node.pendingReads.put(rid, r);
            } else {
                KvCommand.Kind kind = switch (r.kind()) {
                    case PUT -> KvCommand.Kind.PUT;
                    case DELETE -> KvCommand.Kind.DELETE;
                    default -> KvCommand.Kind.CAS;
                };
                Proposal p = node.local.raft.propose(new KvCommand(kind, r.key(), r.value(), r.expected()).encode());
                node.pendingWrites.put(p.index(), new PendingWrite(p.term(), r));
            }
        } catch (NotLeaderException e) {
            reply(node, new Response(r.client(), r.attempt(), Status.REDIRECT, null, false, e.leaderHint()));
        }
    }

    private void reply(SimNode from, Response resp) {
        SimClient c = clientById(resp.client());
        schedule(1 + rnd.nextInt(3), () -> {
            trace.add(now, from.id(), resp);
            c.onResponse(resp);
        });
    }

    private SimClient clientById(int id) {
        for (SimClient c : clients) {
            if (c.id == id) {
                return c;
            }
        }
        throw new IllegalArgumentException("no client " + id);
    }

    private SimNode leaderNode() {
        SimNode best = null;
        for (SimNode n : nodes.values()) {
            if (n.local.up && n.local.raft.role() == Role.LEADER
                    && (best == null || n.local.raft.term() > best.local.raft.term())) {
                best = n;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- faults

    private long nemesisGap() {
        return 1 + (long) (rnd.nextDouble() * 2 * cfg.nemesisGapMs());
    }

    private void nemesis() {
        if (now >= cfg.faultMs()) {
            return;
        }
        int dice = rnd.nextInt(100);
        SimNode leader = leaderNode();
        if (cfg.crashes() && dice < 20) {
            SimNode victim = leader != null && rnd.nextBoolean() ? leader : randomNode(true);
            if (victim != null) {
                int how = rnd.nextInt(4);
                if (how == 0) {
                    victim.crashMidReady = true;
                    trace.add(now, victim.id(), "NEMESIS crash at next Ready");
                } else if (how == 1) {
                    int steps = rnd.nextInt(6);
                    storage.haltSoon(victim.id(), steps);
                    trace.add(now, victim.id(), "NEMESIS power cut after " + steps + " more disk operations");
                } else {
                    trace.add(now, victim.id(), "NEMESIS crash");
                    victim.crash();
                    scheduleRestart(victim);
                }
            }
        } else if (cfg.partitions() && dice < 45) {
            partition(leader);
        } else if (dice < 60) {
            cutLinks.clear();
            trace.add(now, null, "NEMESIS heal partitions");
        } else if (dice < 80) {
            dropRate = rnd.nextDouble() * cfg.maxDropRate();
            dupRate = rnd.nextDouble() * cfg.maxDupRate();
            maxDelayMs = 1 + rnd.nextInt(Math.max(1, cfg.maxDelayMs()));
            trace.add(now, null, String.format("NEMESIS network drop=%.2f dup=%.2f delay<=%dms", dropRate, dupRate, maxDelayMs));
        } else if (cfg.transfers() && leader != null && dice < 90) {
            String target = ids.get(rnd.nextInt(ids.size()));
            trace.add(now, leader.id(), "NEMESIS transfer leadership to " + target);
            guarded(leader, () -> leader.local.raft.transferLeadership(target));
        }
        schedule(nemesisGap(), this::nemesis);
    }

    private void partition(SimNode leader) {
        cutLinks.clear();
        List<String> shuffled = new ArrayList<>(ids);
        java.util.Collections.shuffle(shuffled, rnd);
        int kind = rnd.nextInt(3);
        if (kind == 0 && leader != null) {
            // The leader alone, or with a few others, in the minority.
            shuffled.remove(leader.id());
            shuffled.add(0, leader.id());
            int minority = 1 + rnd.nextInt(Math.max(1, (ids.size() - 1) / 2));
            cutBetween(shuffled.subList(0, minority), shuffled.subList(minority, shuffled.size()), true);
            trace.add(now, null, "NEMESIS partition leader side " + shuffled.subList(0, minority));
        } else if (kind == 1) {
            int split = 1 + rnd.nextInt(ids.size() - 1);
            cutBetween(shuffled.subList(0, split), shuffled.subList(split, shuffled.size()), true);
            trace.add(now, null, "NEMESIS partition " + shuffled.subList(0, split) + " | " + shuffled.subList(split, shuffled.size()));
        } else {
            int split = 1 + rnd.nextInt(ids.size() - 1);
            cutBetween(shuffled.subList(0, split), shuffled.subList(split, shuffled.size()), false);
            trace.add(now, null, "NEMESIS one-way cut " + shuffled.subList(0, split) + " -/-> " + shuffled.subList(split, shuffled.size()));
        }
    }

    private void cutBetween(List<String> a, List<String> b, boolean bothWays) {
        for (String x : a) {
            for (String y : b) {
                cutLinks.add(x + "->" + y);
                if (bothWays) {
                    cutLinks.add(y + "->" + x);
                }
            }
        }
    }

    private void scheduleRestart(SimNode node) {
        long downFor = 20 + rnd.nextInt(1_000);
        schedule(downFor, () -> restart(node));
    }

    private void restart(SimNode node) {
        if (node.local.up) {
            return;
        }
        node.local.start(new Random(rnd.nextLong()));
        safety.onRestart(node.local);
        trace.add(now, node.id(), "RESTART " + node.local);
        process(node);
    }

    private SimNode randomNode(boolean up) {
        List<SimNode> candidates = nodes.values().stream().filter(n -> n.local.up == up).toList();
        return candidates.isEmpty() ? null : candidates.get(rnd.nextInt(candidates.size()));
    }

    /** Ends every fault: nodes come back, links heal, the network turns reliable. */
    public void heal() {
        cutLinks.clear();
        dropRate = 0;
        dupRate = 0;
        maxDelayMs = Math.min(maxDelayMs, 5);
        for (SimNode n : nodes.values()) {
            n.crashMidReady = false;
            if (!n.local.up) {
                restart(n);
            }
        }
        healedAt = now;
        trace.add(now, null, "HEAL all faults");
    }

    // ---------------------------------------------------------------- scripted use (scenario tests, metrics)

    public long now() {
        return now;
    }

    public String leaderId() {
        SimNode l = leaderNode();
        return l == null ? null : l.id();
    }

    /** The leader the given node follows, or null. */
    public String leaderSeenBy(String id) {
        SimNode n = nodes.get(id);
        return n.local.up ? n.local.raft.leader() : null;
    }

    public LocalNode node(String id) {
        return nodes.get(id).local;
    }

    public List<String> ids() {
        return List.copyOf(ids);
    }

    public void crash(String id) {
        trace.add(now, id, "CRASH");
        nodes.get(id).crash();
    }

    public void restartNode(String id) {
        restart(nodes.get(id));
    }

    public void cut(String a, String b) {
        cutLinks.add(a + "->" + b);
        cutLinks.add(b + "->" + a);
    }

    /** Proposes a command on the current leader; returns the proposal or null when there is no leader. */
    public Proposal proposeOnLeader(byte[] command) {
        SimNode l = leaderNode();
        if (l == null) {
            return null;
        }
        Proposal p = l.local.raft.propose(command);
        process(l);
        return p;
    }

    /** Proposes many commands on the leader in one step, as a burst of concurrent clients would. */
    public List<Proposal> proposeBurstOnLeader(List<byte[]> commands) {
        SimNode l = leaderNode();
        List<Proposal> out = new ArrayList<>();
        for (byte[] c : commands) {
            out.add(l.local.raft.propose(c));
        }
        process(l);
        return out;
    }

    public long messagesSent(Class<? extends Message> type) {
        return messagesSent.getOrDefault(type, 0L);
    }

    public long totalMessagesSent() {
        return messagesSent.values().stream().mapToLong(Long::longValue).sum();
    }

    public long appendEntriesWithEntries() {
        return appendEntriesWithEntries;
    }

    public void resetMessageCounts() {
        messagesSent.clear();
        appendEntriesWithEntries = 0;
    }

    public <T> T inspect(Function<Map<String, LocalNode>, T> f) {
        Map<String, LocalNode> view = new LinkedHashMap<>();
        nodes.forEach((id, n) -> view.put(id, n.local));
        return f.apply(view);
    }

    public long seed() {
        return seed;
    }

    public String traceText() {
        return trace.render();
    }
}
