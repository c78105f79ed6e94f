package io.raftkv.raft.sim;

import io.raftkv.node.Applier;
import io.raftkv.node.DirectApplier;
import io.raftkv.node.IdentityCheck;
import io.raftkv.node.NodeDriver;
import io.raftkv.node.NodeUnavailableException;
import io.raftkv.node.SnapshotSaver;
import io.raftkv.node.WriteNotAppliedException;
import io.raftkv.node.WriteOutcomeUnknownException;
import io.raftkv.check.KvOp;
import io.raftkv.check.LinearizabilityChecker;
import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.Entry;
import io.raftkv.raft.Membership;
import io.raftkv.raft.MembershipChangeException;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.Message;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Proposal;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import io.raftkv.raft.storage.StorageFailedException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
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
    private static final long FINAL_READ_PATIENCE_MS = 5_000;
    /** Shorter than the client's timeout, so the driver's own "outcome unknown" answers are exercised. */
    private static final long STEP_DOWN_GRACE_MS = 300;

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

    private record Request(int client, long attempt, KvOp.Kind kind, String key, String value, String expected, String op) {
    }

    /**
     * What a node answered. REDIRECT and UNAVAILABLE promise the request was never proposed; NOT_APPLIED
     * that the write was not applied and never will be; UNKNOWN promises nothing.
     */
    private enum Status { OK, REDIRECT, UNAVAILABLE, NOT_APPLIED, UNKNOWN }

    private record Response(int client, long attempt, Status status, String value, boolean swapped, String leaderHint) {
    }

    /** Thrown by a node's observer to crash it mid-Ready, before it persisted anything of that Ready. */
    private static final class CrashBeforePersist extends Error {
        CrashBeforePersist() {
            super("simulated crash", null, false, false);
        }
    }

    /**
     * A node: the production driver over its storage, the simulator's stand-in for the apply thread,
     * and the client requests it holds. Watches every Ready for the safety checker.
     */
    private final class SimNode implements NodeDriver.Observer {
        /** The process's name; {@link #local} is its current life under its current member id. */
        final String name;
        LocalNode local;
        /** Its data directory is gone: it comes back empty, under a new member id if anyone heard from it. */
        boolean diskLost;
        /** The nemesis asked for this member's removal; once removed, its process starts over empty. */
        boolean decommissioned;
        /** Requests handed to the driver and not yet answered; none may remain once the driver ends. */
        final Map<CompletableFuture<?>, String> unanswered = new LinkedHashMap<>();
        SimApplyQueue applyQueue;
        boolean crashMidReady;
        /** Its driver ended (failed or stopped); the process lingers a moment, answering, until it exits. */
        boolean ending;
        /** Starts so far: tells a scheduled exit which life it belongs to. */
        int lives;

        SimNode(String name, LocalNode local) {
            this.name = name;
            this.local = local;
        }

        String id() {
            return local.id;
        }

        void start() {
            lives++;
            local.start(new Random(rnd.nextLong()), new LocalNode.Wiring(Simulation.this::send, this,
                    () -> now * 1_000_000L, direct -> applyQueue = new SimApplyQueue(this, direct), Simulation.this::onApply,
                    storage -> new SimSnapshotSaver(this, lives, storage)));
        }

        @Override
        public void beforePersist(Ready rd) {
            safety.beforePersist(local, rd);
            if (crashMidReady && rd.mustPersist()) {
                crashMidReady = false;
                trace.add(now, id(), "CRASH mid-Ready, before persisting " + rd.entries().size() + " entries");
                throw new CrashBeforePersist();
            }
        }

        @Override
        public void afterPersist(Ready rd) {
            safety.afterPersist(local, rd);
        }

        @Override
        public void afterAdvance(Ready rd) {
            safety.afterAdvance(local, rd);
            if (rd.softState() != null) {
                trace.add(now, id(), rd.softState());
            }
        }

        /** The process dies: nothing pending is answered (its clients see the connection drop and time out). */
        void crash() {
            boolean wasUp = local.up;
            local.crash();
            if (wasUp) {
                noticeDeath(this);
            }
            storage.crash(name);
            safety.onCrash(local);
            unanswered.clear();
            applyQueue = null;
            crashMidReady = false;
            ending = false;
        }

        /**
         * The driver ended (it stopped, or its storage failed): the apply thread finishes its queue,
         * and then nothing the node was asked may be left without an answer.
         */
        void ended(String how) {
            applyQueue.drainNow();
            local.applier.failWaiters(new NodeUnavailableException("this node stopped applying", null));
            if (!unanswered.isEmpty()) {
                fail("a node that " + how + " left requests unanswered: " + unanswered.values());
            }
        }
    }

    /**
     * The apply thread, simulated: committed work waits a random few milliseconds, in order, before
     * the node's {@link DirectApplier} applies it, so the driver's answers are checked against an apply
     * side that lags, as the real one does.
     */
    private final class SimApplyQueue implements Applier {
        private final SimNode node;
        private final DirectApplier<Boolean> direct;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean drainScheduled;

        SimApplyQueue(SimNode node, DirectApplier<Boolean> direct) {
            this.node = node;
            this.direct = direct;
        }

        @Override
        public void apply(List<Entry> entries) {
            enqueue(() -> {
                for (Entry e : entries) {
                    if (e.index() > direct.appliedIndex()) {
                        direct.apply(List.of(e));
                        safety.applied(node.local, e);
                    }
                }
            });
        }

        @Override
        public void restore(Snapshot snapshot) {
            enqueue(() -> direct.restore(snapshot));
        }

        @Override
        public void whenApplied(long index, CompletableFuture<Void> future) {
            enqueue(() -> direct.whenApplied(index, future));
        }

        @Override
        public long appliedIndex() {
            return direct.appliedIndex();
        }

        private void enqueue(Runnable task) {
            queue.add(task);
            if (!drainScheduled) {
                drainScheduled = true;
                SimApplyQueue self = this;
                schedule(rnd.nextInt(maxApplyDelayMs + 1), () -> {
                    if (node.applyQueue == self) {
                        drainNow();
                        // A snapshot the applier took is saved by the driver's next turn.
                        process(node);
                    }
                });
            }
        }

        void drainNow() {
            drainScheduled = false;
            for (Runnable t; (t = queue.poll()) != null; ) {
                t.run();
            }
        }
    }

    /**
     * The snapshot writer thread, simulated: a snapshot the applier took is written a random few
     * milliseconds later, while the node goes on (receiving a newer snapshot, taking more, crashing),
     * and the driver hears back then and compacts its log.
     */
    private final class SimSnapshotSaver implements SnapshotSaver {
        private final SimNode node;
        private final int life;
        private final RaftStorage storage;

        SimSnapshotSaver(SimNode node, int life, RaftStorage storage) {
            this.node = node;
            this.life = life;
            this.storage = storage;
        }

        @Override
        public void save(Snapshot snapshot, Done done) {
            schedule(rnd.nextInt(maxSaveDelayMs + 1), () -> {
                if (node.lives != life || !node.local.up) {
                    return; // the process died with the save unfinished: the disk has what it synced
                }
                done.saved(SnapshotSaver.saveTaken(storage.snapshots(), snapshot));
                process(node);
            });
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
            // The final reader keeps trying for several elections: a healed cluster without PreVote and with
            // long timeouts may split votes a few times before it elects a leader (seeds 2878, 4251).
            deadline = now + (script != null ? FINAL_READ_PATIENCE_MS : CLIENT_TIMEOUT_MS);
            writeMayBeInFlight = false;
            send();
        }

        private Request randomOp() {
            String key = "k" + rnd.nextInt(cfg.keys());
            String value = "c" + id + "." + ops;
            int dice = rnd.nextInt(100);
            if (dice < 40) {
                return new Request(id, 0, KvOp.Kind.GET, key, null, null, null);
            } else if (dice < 75) {
                return new Request(id, 0, KvOp.Kind.PUT, key, value, null, value);
            } else if (dice < 92) {
                return new Request(id, 0, KvOp.Kind.CAS, key, value, lastSeen.get(key), value);
            }
            return new Request(id, 0, KvOp.Kind.DELETE, key, null, null, value);
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
            Request r = new Request(id, attempt, current.kind(), current.key(), current.value(), current.expected(), current.op());
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
                case UNKNOWN -> finish(KvOp.Outcome.UNKNOWN, null, false);
                case REDIRECT, UNAVAILABLE -> {
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
    private final Trace trace = new Trace(Integer.getInteger("raftkv.sim.trace", 600));
    /** The first check that failed, kept so that one failing inside a future's callback still ends the run. */
    private SimulationFailure failure;
    /** The index at which each client write was applied, and the writes answered "not applied". */
    private final Map<String, Long> appliedOps = new HashMap<>();
    private final Map<String, Long> answers = new java.util.TreeMap<>();
    private final Set<String> notAppliedOps = new HashSet<>();
    /** How long committed work may wait for the simulated apply thread in this run. */
    private final int maxApplyDelayMs;
    /** How long a snapshot the node took may wait for the simulated writer thread in this run. */
    private final int maxSaveDelayMs;
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
    private final Membership bootstrap;
    private int incarnations;
    /** What each node's driver applies to, around the simulator's model (see {@link LocalNode#machine}). */
    private final java.util.function.BiFunction<LocalNode, SimStateMachine, io.raftkv.node.StateMachine<Boolean>> machines;

    public Simulation(long seed, SimConfig cfg) {
        this(seed, cfg, MEMORY);
    }

    public Simulation(long seed, SimConfig cfg, StorageFactory storage) {
        this(seed, cfg, storage, (n, s) -> s);
    }

    public Simulation(long seed, SimConfig cfg, StorageFactory storage,
                      java.util.function.BiFunction<LocalNode, SimStateMachine, io.raftkv.node.StateMachine<Boolean>> machines) {
        quietDriverLogs();
        this.machines = machines;
        this.seed = seed;
        this.cfg = cfg;
        this.rnd = new Random(seed);
        this.storage = storage;
        this.safety = new SafetyChecker(this::fail);
        this.maxDelayMs = cfg.maxDelayMs();
        this.maxApplyDelayMs = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(20);
        this.maxSaveDelayMs = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(60);
        List<Peer> peers = new ArrayList<>();
        for (int i = 1; i <= cfg.nodes(); i++) {
            peers.add(new Peer("n" + i, "sim://n" + i));
            ids.add("n" + i);
        }
        Membership membership = new Membership(peers);
        this.bootstrap = membership;
        for (String id : ids) {
            LocalNode local = new LocalNode(cfg.raft().withId(id), storage.storageFor(id, membership, new Random(rnd.nextLong())));
            local.snapshotEvery = cfg.snapshotEvery();
            local.trailingEntries = cfg.trailingEntries();
            local.stepDownGrace = java.time.Duration.ofMillis(STEP_DOWN_GRACE_MS);
            local.machine = machines;
            SimNode node = new SimNode(id, local);
            nodes.put(id, node);
            node.start();
            long phase = rnd.nextInt(TICK_MS);
            schedule(phase, () -> tick(node));
        }
    }

    /**
     * The driver logs every leadership change and storage failure, as an operator wants; a sweep
     * makes millions of them. Set per run, as a Spring test in the same JVM resets logging.
     */
    private static void quietDriverLogs() {
        if (org.slf4j.LoggerFactory.getLogger(NodeDriver.class) instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }

    // ---------------------------------------------------------------- running

    /** Result of a full run: the history was linearizable, every invariant held, and the cluster recovered in time. */
    /** @param answers how many times the drivers answered each way ({@code OK}, {@code NOT_APPLIED}, ...) */
    public record Outcome(long seed, int operations, long okOperations, long unknownOperations, long elections,
                          long simulatedMs, long healToWriteMs, Map<String, Long> answers) {
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
        if (cfg.membership()) {
            schedule(AUTOPILOT_MS, this::autopilot);
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
        checkEverythingAnswered();
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
                firstWriteAfterHeal, Map.copyOf(answers));
    }

    /** Every key is read once more, linearizably, after everything else: acknowledged writes must be there. */
    private void finalReads() {
        List<Request> reads = new ArrayList<>();
        for (int k = 0; k < cfg.keys(); k++) {
            reads.add(new Request(1000, 0, KvOp.Kind.GET, "k" + k, null, null, null));
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

    /** Once quiet, every request a live node was handed has had its answer: none waits forever. */
    private void checkEverythingAnswered() {
        runUntil(now + 2 * STEP_DOWN_GRACE_MS, () -> nodes.values().stream().allMatch(n -> n.unanswered.isEmpty()));
        for (SimNode n : nodes.values()) {
            if (!n.unanswered.isEmpty()) {
                fail("node " + n.id() + " still holds unanswered requests long after the clients stopped: " + n.unanswered.values());
            }
        }
    }

    /** Once quiet, every node applies the same entries and holds the same data. */
    private void checkConvergence() {
        // A node that rejoined empty may have to catch up one entry per message (a config with a tiny byte
        // cap) before the autopilot promotes it.
        long quiet = cfg.membership() ? 15_000 : 5_000;
        runUntil(now + quiet, () -> {
            SimNode leader = leaderNode();
            if (leader == null) {
                return false;
            }
            long commit = leader.local.raft.commitIndex();
            return (!cfg.membership() || settled())
                    && nodes.values().stream().allMatch(n -> n.local.up && n.local.sm.appliedIndex() == commit);
        });
        if (cfg.membership() && !settled()) {
            fail("the autopilot did not bring every node back as a voter within " + quiet / 1000 + " s of quiet: "
                    + (leaderNode() == null ? "no leader" : leaderNode().local.raft.membership()));
        }
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
            fail("the cluster did not converge within " + quiet / 1000 + " s of quiet: " + nodes.values().stream().map(n -> n.local).toList());
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
            if (failure != null) {
                // Raised inside a callback of a driver's answer, where CompletableFuture would swallow it.
                throw failure;
            }
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
        SimulationFailure f = new SimulationFailure(seed, problem + "\n  cluster: "
                + nodes.values().stream().map(n -> n.local).toList(), trace.render());
        if (failure == null) {
            failure = f;
        }
        // A check that failed inside a driver's step is reported as itself, not as the node failure it caused.
        throw failure;
    }

    // ---------------------------------------------------------------- nodes and network

    private void tick(SimNode node) {
        if (node.local.up) {
            input(node, d -> d.tick());
        }
        schedule(TICK_MS, () -> tick(node));
    }

    /** Gives a live node's driver one input and carries out what it caused. */
    private void input(SimNode node, java.util.function.Consumer<NodeDriver<Boolean>> input) {
        try {
            input.accept(node.local.driver);
        } catch (CrashBeforePersist c) {
            crashAndRestart(node);
            return;
        }
        process(node);
    }

    /**
     * Carries out what a node's inputs caused. A driver that failed must have failed on its storage
     * (the only fault injected): it answers what it held, and the node restarts as an operator's
     * supervisor would restart it. Any other failure is a bug the simulation reports.
     */
    private void process(SimNode node) {
        if (!node.local.up) {
            return;
        }
        try {
            node.local.driver.process();
        } catch (CrashBeforePersist c) {
            crashAndRestart(node);
            return;
        }
        String failure = node.local.driver.failure();
        if (failure != null && !node.ending) {
            if (!causedByStorage(node.local.driver.failureCause())) {
                java.io.StringWriter stack = new java.io.StringWriter();
                node.local.driver.failureCause().printStackTrace(new java.io.PrintWriter(stack));
                fail("node " + node.id() + " failed: " + failure + "\n    "
                        + stack.toString().lines().limit(8).reduce((a, b) -> a + "\n    " + b).orElse(""));
            }
            trace.add(now, node.id(), "STORAGE FAILED: " + failure);
            node.ended("failed on its storage");
            exitSoon(node);
        }
    }

    private static boolean causedByStorage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof StorageFailedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A node whose driver ended stays up a little, as a process does until its supervisor restarts
     * it or Tomcat finishes its graceful shutdown: requests that reach it meanwhile must be answered
     * "unavailable" (never proposed) by the ended driver. Then it exits and restarts later.
     */
    private void exitSoon(SimNode node) {
        node.ending = true;
        int life = node.lives;
        schedule(1 + rnd.nextInt(50), () -> {
            if (node.lives == life && node.local.up && node.ending) {
                if (!node.unanswered.isEmpty()) {
                    fail("a node whose driver had ended left requests that reached it since unanswered: "
                            + node.unanswered.values());
                }
                crashAndRestart(node);
            }
        });
    }

    /**
     * What {@code PeerProbe} tells the others when a process dies: its connections close and its port
     * takes no new one. Those it has a link with hear it a few milliseconds later (a partition closes
     * nothing), unless it is back by then.
     */
    private void noticeDeath(SimNode dead) {
        String deadId = dead.id();
        int life = dead.lives;
        for (SimNode other : nodes.values()) {
            if (other == dead || cutLinks.contains(dead.name + "->" + other.name)) {
                continue;
            }
            schedule(1 + rnd.nextInt(5), () -> {
                if (other.local.up && !dead.local.up && dead.lives == life) {
                    trace.add(now, other.id(), "GONE " + deadId);
                    input(other, d -> d.reportGone(deadId));
                }
            });
        }
    }

    private void crashAndRestart(SimNode node) {
        node.crash();
        scheduleRestart(node);
    }

    private void send(Message m) {
        messagesSent.merge(m.getClass(), 1L, Long::sum);
        if (m instanceof AppendEntries ae && !ae.entries().isEmpty()) {
            appendEntriesWithEntries++;
        }
        if (cut(m) || rnd.nextDouble() < dropRate) {
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
            // Addressed by member id, delivered to the process of that name: a message for an old id
            // reaches the node's new self, whose driver must drop it.
            SimNode to = nodes.get(Peer.nameOf(m.to()));
            if (to != null && to.local.up && !cut(m)) {
                trace.add(now, m.to(), m);
                input(to, d -> d.step(m));
            }
        });
    }

    private boolean cut(Message m) {
        return cutLinks.contains(Peer.nameOf(m.from()) + "->" + Peer.nameOf(m.to()));
    }

    private void onRequest(SimNode node, Request r) {
        if (!node.local.up) {
            return;
        }
        trace.add(now, node.id(), r);
        input(node, d -> request(node, d, r));
    }

    /** Hands a client's request to the driver; its answer goes back to the client as the web layer would send it. */
    private void request(SimNode node, NodeDriver<Boolean> driver, Request r) {
        if (r.kind() == KvOp.Kind.GET) {
            CompletableFuture<Void> read = new CompletableFuture<>();
            node.unanswered.put(read, now + " " + r);
            read.whenComplete((v, e) -> {
                node.unanswered.remove(read);
                // Served from local state the moment the driver says it may be, as KvController does.
                String value = e == null ? node.local.sm.get(r.key()) : null;
                reply(node, answer(r, e, false, value));
            });
            driver.read(read);
        } else {
            KvCommand.Kind kind = switch (r.kind()) {
                case PUT -> KvCommand.Kind.PUT;
                case DELETE -> KvCommand.Kind.DELETE;
                default -> KvCommand.Kind.CAS;
            };
            CompletableFuture<Boolean> write = driver.propose(new KvCommand(kind, r.key(), r.value(), r.expected(), r.op()).encode());
            node.unanswered.put(write, now + " " + r);
            write.whenComplete((swapped, e) -> {
                node.unanswered.remove(write);
                Response resp = answer(r, e, swapped != null && swapped, null);
                checkWriteAnswer(node, r, resp.status());
                reply(node, resp);
            });
        }
    }

    /** The answer the web layer makes of the driver's: each exception type is a distinct promise. */
    private Response answer(Request r, Throwable e, boolean swapped, String value) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException ce ? ce.getCause() : e;
        Status status;
        String hint = null;
        if (cause == null) {
            status = Status.OK;
        } else if (cause instanceof NotLeaderException nl) {
            status = Status.REDIRECT;
            hint = nl.leaderHint();
        } else if (cause instanceof NodeUnavailableException) {
            status = Status.UNAVAILABLE;
        } else if (cause instanceof WriteNotAppliedException) {
            status = Status.NOT_APPLIED;
        } else if (cause instanceof WriteOutcomeUnknownException) {
            status = Status.UNKNOWN;
        } else {
            fail("a request to the driver ended with an exception no client can interpret: " + cause);
            return null;
        }
        answers.merge((r.kind() == KvOp.Kind.GET ? "read " : "write ") + status, 1L, Long::sum);
        return new Response(r.client(), r.attempt(), status, value, swapped, hint);
    }

    /**
     * Every command a state machine applies, by its client operation: "applied" is a fact about the
     * cluster. An operation lives at one index only: a second one means a write answered "never
     * proposed" was proposed after all, and its retry applied it twice.
     */
    private void onApply(KvCommand c, long index) {
        if (c.op() == null) {
            return;
        }
        Long at = appliedOps.putIfAbsent(c.op(), index);
        if (at != null && at != index) {
            fail("the write " + c.op() + " was applied at index " + at + " and again at " + index);
        }
        if (notAppliedOps.contains(c.op())) {
            fail("the write " + c.op() + " was answered \"not applied\" but was applied at " + index);
        }
    }

    /**
     * Never a false OK, never a false "not applied": an OK write was applied (on this node, before
     * its answer), a "not applied" one was not and never will be (checked again at every apply), and
     * answers that say "never proposed" are not given for a write that was applied.
     */
    private void checkWriteAnswer(SimNode node, Request r, Status status) {
        boolean applied = appliedOps.containsKey(r.op());
        switch (status) {
            case OK -> {
                if (!applied) {
                    fail(node.id() + " answered OK for " + r.op() + ", which no node applied");
                }
            }
            case NOT_APPLIED -> {
                if (applied) {
                    fail(node.id() + " answered " + status + " for " + r.op() + ", which was applied");
                }
                notAppliedOps.add(r.op());
            }
            case REDIRECT, UNAVAILABLE -> {
                // The client retries these: were this one proposed after all, the op would be applied twice.
                if (applied) {
                    fail(node.id() + " answered " + status + " (never proposed) for " + r.op() + ", which was applied");
                }
            }
            case UNKNOWN -> {
            }
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
                int how = rnd.nextInt(5);
                if (how == 4) {
                    stopGracefully(victim);
                } else if (how == 0) {
                    victim.crashMidReady = true;
                    trace.add(now, victim.id(), "NEMESIS crash at next Ready");
                } else if (how == 1) {
                    int steps = rnd.nextInt(6);
                    storage.haltSoon(victim.name, steps);
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
            String target = nodes.get(ids.get(rnd.nextInt(ids.size()))).id();
            trace.add(now, leader.id(), "NEMESIS transfer leadership to " + target);
            input(leader, d -> d.transferLeadership(target));
        } else if (cfg.membership() && settled() && dice < 97) {
            SimNode victim = nodes.get(ids.get(rnd.nextInt(ids.size())));
            if (rnd.nextBoolean()) {
                loseDisk(victim);
            } else {
                // Sometimes two at once: the autopilot then asks to remove the second while the first is
                // not committed, which the core must refuse (two voters gone in flight split majorities).
                List<SimNode> victims = new ArrayList<>(List.of(victim));
                if (rnd.nextInt(3) == 0) {
                    SimNode second = nodes.get(ids.get(rnd.nextInt(ids.size())));
                    if (second != victim) {
                        victims.add(second);
                    }
                }
                for (SimNode v : victims) {
                    trace.add(now, v.id(), "NEMESIS decommission " + v.id() + " (it comes back empty once removed)");
                    v.decommissioned = true;
                    answers.merge("membership decommission", 1L, Long::sum);
                }
                if (victims.contains(leader) && rnd.nextBoolean()) {
                    input(leader, NodeDriver::transferToBestFollower);
                }
            }
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
            shuffled.remove(leader.name);
            shuffled.add(0, leader.name);
            int minority = 1 + rnd.nextInt(Math.max(1, ids.size() - io.raftkv.raft.Quorum.majority(ids.size())));
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

    /**
     * A rolling restart's stop, as {@code NodeLifecycle} does it: a leader hands over leadership
     * first, then the driver stops, answering everything it holds, and the process exits.
     */
    private void stopGracefully(SimNode node) {
        trace.add(now, node.id(), "NEMESIS graceful stop");
        input(node, d -> {
            String to = d.transferToBestFollower();
            if (to != null) {
                trace.add(now, node.id(), "hands leadership to " + to + " before stopping");
            }
        });
        SimNode n = node;
        schedule(rnd.nextInt(2 * cfg.raft().electionTicks() * TICK_MS), () -> {
            if (!n.local.up) {
                return;
            }
            n.local.driver.stop();
            n.ended("stopped");
            exitSoon(n);
            trace.add(now, n.id(), "STOPPED");
        });
    }

    private void scheduleRestart(SimNode node) {
        long downFor = 20 + rnd.nextInt(1_000);
        schedule(downFor, () -> restart(node));
    }

    private void restart(SimNode node) {
        if (node.local.up) {
            return;
        }
        if (node.diskLost) {
            rejoin(node);
            return;
        }
        node.start();
        safety.onRestart(node.local);
        trace.add(now, node.id(), "RESTART " + node.local);
        process(node);
    }

    private SimNode randomNode(boolean up) {
        List<SimNode> candidates = nodes.values().stream().filter(n -> n.local.up == up).toList();
        return candidates.isEmpty() ? null : candidates.get(rnd.nextInt(candidates.size()));
    }

    // ---------------------------------------------------------------- membership (cfg.membership())

    private static final long AUTOPILOT_MS = 50;
    private static final Membership NO_ONE = new Membership(List.of(), List.of(), Set.of());

    /** The leader's membership is every process under its current id as a voter, and nothing is pending. */
    private boolean settled() {
        SimNode l = leaderNode();
        if (l == null || l.local.raft.membershipChangePending()) {
            return false;
        }
        Membership m = l.local.raft.membership();
        return m.learners().isEmpty() && m.voters().size() == nodes.size()
                && nodes.values().stream().allMatch(n -> !n.diskLost && !n.decommissioned && m.isVoter(n.id()));
    }

    /** The process dies and its data directory is gone: it comes back empty (see {@link #rejoin}). */
    private void loseDisk(SimNode victim) {
        trace.add(now, victim.id(), "NEMESIS lost disk");
        answers.merge("membership lost disk", 1L, Long::sum);
        if (victim.local.up) {
            victim.crash();
        }
        victim.diskLost = true;
        scheduleRestart(victim);
    }

    /**
     * An empty data directory comes back under its old name, deciding as RaftKvNode does: if any
     * member it reaches ever heard from that name, or removed it, it joins under a new member id with no membership
     * (to be added as a learner); if every other member answers and none did, it may be that member;
     * otherwise it waits.
     */
    private void rejoin(SimNode node) {
        List<String> others = new ArrayList<>();
        Map<String, IdentityCheck.Answer> said = new HashMap<>();
        for (SimNode o : nodes.values()) {
            if (o == node) {
                continue;
            }
            others.add(o.name);
            boolean reachable = o.local.up && !cutLinks.contains(node.name + "->" + o.name) && !cutLinks.contains(o.name + "->" + node.name);
            if (reachable) {
                // What GET /raft/info answers: it heard from that id, or its cluster removed it.
                said.put(o.name, new IdentityCheck.Answer(o.local.storage.stable().contacts().contains(node.name)
                        || o.local.raft.membership().isRemoved(node.name), "sim"));
            }
        }
        IdentityCheck.Verdict verdict = IdentityCheck.decide(others, said);
        boolean heard = verdict == IdentityCheck.Verdict.REPLACED;
        String id;
        Membership boot;
        if (heard) {
            id = node.name + Peer.INCARNATION_MARK + Integer.toHexString(++incarnations);
            boot = NO_ONE;
        } else if (verdict == IdentityCheck.Verdict.CONFIRMED) {
            id = node.name;
            boot = bootstrap;
        } else {
            trace.add(now, node.name, "empty directory waits for every member to answer");
            schedule(200, () -> restart(node));
            return;
        }
        LocalNode fresh = new LocalNode(cfg.raft().withId(id), storage.storageFor(node.name, boot, new Random(rnd.nextLong())));
        fresh.snapshotEvery = cfg.snapshotEvery();
        fresh.trailingEntries = cfg.trailingEntries();
        fresh.stepDownGrace = java.time.Duration.ofMillis(STEP_DOWN_GRACE_MS);
        fresh.machine = machines;
        node.local = fresh;
        node.diskLost = false;
        node.start();
        safety.onRestart(fresh);
        trace.add(now, id, "REJOIN with an empty directory as " + id + (heard ? " (a new member)" : " (never heard of before)"));
        answers.merge(heard ? "membership rejoined as a new member" : "membership rejoined as itself", 1L, Long::sum);
        process(node);
    }

    /**
     * What the production autopilot does, one step at a time on the leader: start over a removed
     * decommissioned process, remove a decommissioned member, add a process that is no member as a
     * learner, remove the old id of a process that runs under a new one, promote a caught-up learner.
     */
    private void autopilot() {
        schedule(AUTOPILOT_MS, this::autopilot);
        SimNode l = leaderNode();
        if (l == null || l.ending) {
            return;
        }
        // No check for a change under way: the core must refuse a second one (MembershipChangeException).
        RaftNode raft = l.local.raft;
        Membership m = raft.membership();
        for (SimNode n : nodes.values()) {
            // Only once the removal has committed: as an operator stops a node once DELETE answered 204.
            if (n.decommissioned && m.isRemoved(n.id()) && !raft.membershipChangePending()) {
                n.decommissioned = false;
                loseDisk(n);
                return;
            }
        }
        for (SimNode n : nodes.values()) {
            if (n.decommissioned && m.isMember(n.id())) {
                proposeMembership(l, x -> x.without(n.id()), "remove " + n.id());
                return;
            }
        }
        for (SimNode n : nodes.values()) {
            if (n.local.up && !n.diskLost && !n.decommissioned && !m.isMember(n.id()) && !m.isRemoved(n.id())) {
                proposeMembership(l, x -> x.withLearner(new Peer(n.id(), "sim://" + n.name)), "add learner " + n.id());
                return;
            }
        }
        for (String member : m.memberIds()) {
            SimNode n = nodes.get(Peer.nameOf(member));
            if (!n.id().equals(member) && m.isMember(n.id())) {
                proposeMembership(l, x -> x.without(member), "remove the old id " + member + " of " + n.id());
                return;
            }
        }
        // Any learner, caught up or not: the core must refuse one that is behind (MembershipChangeException).
        if (m.voters().size() < cfg.nodes() && !m.learners().isEmpty()) {
            Peer p = m.learners().get(rnd.nextInt(m.learners().size()));
            promote(l, p.id());
        }
    }

    /**
     * Proposes promoting {@code learner} and checks, in the same step, that the core took it only if
     * the learner was within {@code promotionMaxLag} entries of the leader's log then.
     */
    private void promote(SimNode leader, String learner) {
        trace.add(now, leader.id(), "AUTOPILOT promote " + learner);
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        answer.whenComplete((v, e) -> {
            trace.add(now, leader.id(), "AUTOPILOT promote " + learner + ": " + (e == null ? "applied" : e.toString()));
            String kind = e == null ? "membership promote"
                    : !(e instanceof MembershipChangeException c && c.retryable()) ? "membership promote refused"
                    : e.getMessage().contains("behind the leader") ? "membership promote refused: learner behind"
                    : "membership refused while another is open";
            answers.merge(kind, 1L, Long::sum);
        });
        input(leader, d -> {
            RaftNode raft = leader.local.raft;
            long lag = raft.lastIndex() - raft.matchIndexes().getOrDefault(learner, 0L);
            d.proposeMembership(x -> x.promote(learner), answer);
            if (raft.membership().isVoter(learner) && raft.membershipChangePending() && lag > cfg.raft().promotionMaxLag()) {
                fail("RULE promote only a caught-up learner: " + learner + " was promoted while " + lag
                        + " entries behind the leader's log (at most " + cfg.raft().promotionMaxLag() + ")");
            }
        });
    }

    private void proposeMembership(SimNode leader, java.util.function.UnaryOperator<Membership> change, String what) {
        trace.add(now, leader.id(), "AUTOPILOT " + what);
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        String kind = "membership " + what.substring(0, what.indexOf(' ')) + (leader.local.raft.membership().isVoter(leader.id())
                && what.equals("remove " + leader.id()) ? " the leader" : "");
        answer.whenComplete((v, e) -> {
            trace.add(now, leader.id(), "AUTOPILOT " + what + ": " + (e == null ? "applied" : e.toString()));
            if (e == null) {
                answers.merge(kind, 1L, Long::sum);
            } else if (e instanceof MembershipChangeException m && m.retryable()) {
                answers.merge("membership refused while another is open", 1L, Long::sum);
            }
        });
        input(leader, d -> d.proposeMembership(change, answer));
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

    /** Runs {@code task} after {@code delayMs} of simulated time, among the other events: a scenario's own workload. */
    public void after(long delayMs, Runnable task) {
        schedule(delayMs, task);
    }

    /** Hands {@code command} to the driver of the process {@code name}, as its web layer would; null if it is down or ending. */
    public CompletableFuture<Boolean> propose(String name, byte[] command) {
        SimNode n = nodes.get(name);
        if (!n.local.up || n.ending) {
            return null;
        }
        List<CompletableFuture<Boolean>> answer = new ArrayList<>(1);
        input(n, d -> answer.add(d.propose(command)));
        return answer.isEmpty() ? null : answer.get(0);
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
