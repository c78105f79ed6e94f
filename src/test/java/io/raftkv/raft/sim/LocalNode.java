package io.raftkv.raft.sim;

import io.raftkv.node.Applier;
import io.raftkv.node.Clock;
import io.raftkv.node.DirectApplier;
import io.raftkv.node.NodeDriver;
import io.raftkv.node.SnapshotSaver;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.Outbox;
import io.raftkv.node.Proposals;
import io.raftkv.node.StateMachine;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ObjLongConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One node as the tests hold it across crashes: its storage outlives a crash, while the production
 * {@link NodeDriver}, the core and the state machine are made anew at each start. Tests step the
 * driver and call {@link NodeDriver#process()}; nothing here carries out a Ready itself.
 */
public final class LocalNode {
    private static final NodeMetrics METRICS = NodeMetrics.noop();

    /**
     * The world around one life of a node.
     *
     * @param applier how committed entries reach the state machine: {@link DirectApplier} itself
     *                (at once), or a queue the simulator drains later, as the apply thread would
     * @param onApply told of each command as a state machine applies it
     * @param saver   how this life's own snapshots are saved: at once, or later, as the saver thread would
     */
    public record Wiring(Outbox outbox, NodeDriver.Observer observer, Clock clock,
                         Function<DirectApplier<Boolean>, Applier> applier, ObjLongConsumer<KvCommand> onApply,
                         Function<RaftStorage, SnapshotSaver> saver) {

        /** Snapshots saved at once, on the driver's thread. */
        public Wiring(Outbox outbox, NodeDriver.Observer observer, Clock clock,
                      Function<DirectApplier<Boolean>, Applier> applier, ObjLongConsumer<KvCommand> onApply) {
            this(outbox, observer, clock, applier, onApply, s -> SnapshotSaver.inline(s.snapshots()));
        }
    }

    public final String id;
    final RaftConfig cfg;
    private final Supplier<RaftStorage> storageOpener;
    public RaftStorage storage;
    public RaftNode raft;
    public NodeDriver<Boolean> driver;
    public DirectApplier<Boolean> applier;
    public SimStateMachine sm;
    /**
     * Makes, at each start, what the driver applies to around {@link #sm}: the simulator's model
     * itself, or a scenario's richer machine that keeps it in step (see {@link CoordStateMachine}).
     */
    public BiFunction<LocalNode, SimStateMachine, StateMachine<Boolean>> machine = (n, s) -> s;
    /** What this life's driver applies to. */
    public StateMachine<Boolean> applied;
    public boolean up;
    /** Take a snapshot every this many applied entries (0: never), keeping {@link #trailingEntries} in the log. */
    public long snapshotEvery;
    public long trailingEntries;
    /** How long writes pending on a deposed leader wait for their fate before "outcome unknown". */
    public Duration stepDownGrace = Duration.ofSeconds(1);

    /**
     * @param storageOpener opens the node's durable storage; called once per life, so a simulated
     *                      disk can drop what was never synced before the node comes back
     */
    public LocalNode(RaftConfig cfg, Supplier<RaftStorage> storageOpener) {
        this.id = cfg.id();
        this.cfg = cfg;
        this.storageOpener = storageOpener;
    }

    public void start(Random random, Wiring wiring) {
        storage = storageOpener.get();
        storage.recover();
        raft = new RaftNode(cfg, storage, random);
        sm = new SimStateMachine(wiring.onApply());
        applied = machine.apply(this, sm);
        Proposals<Boolean> proposals = new Proposals<>(wiring.clock(), stepDownGrace, METRICS);
        NodeDriver<?>[] self = new NodeDriver<?>[1];
        applier = new DirectApplier<>(applied, storage.snapshots().latest(), proposals, snap -> self[0].snapshotTaken(snap),
                snapshotEvery, METRICS);
        driver = new NodeDriver<>(raft, storage, wiring.outbox(), wiring.applier().apply(applier), proposals, METRICS,
                wiring.clock(), trailingEntries, wiring.observer(), wiring.saver().apply(storage));
        self[0] = driver;
        up = true;
    }

    /**
     * A driver over a core a test made itself, applying at once to {@code sm}, with time standing still:
     * for tests that script a node's inputs one by one.
     */
    public static <R> NodeDriver<R> driverFor(RaftNode raft, RaftStorage storage, Outbox outbox, StateMachine<R> sm,
                                              long snapshotEvery, long trailingEntries) {
        return driverFor(raft, storage, outbox, sm, snapshotEvery, trailingEntries, NodeDriver.Observer.NONE);
    }

    public static <R> NodeDriver<R> driverFor(RaftNode raft, RaftStorage storage, Outbox outbox, StateMachine<R> sm,
                                              long snapshotEvery, long trailingEntries, NodeDriver.Observer observer) {
        Proposals<R> proposals = new Proposals<>(() -> 0, Duration.ofSeconds(1), METRICS);
        List<NodeDriver<R>> self = new ArrayList<>(1);
        DirectApplier<R> applier = new DirectApplier<>(sm, storage.snapshots().latest(), proposals,
                snap -> self.get(0).snapshotTaken(snap), snapshotEvery, METRICS);
        NodeDriver<R> driver = new NodeDriver<>(raft, storage, outbox, applier, proposals, METRICS, () -> 0,
                trailingEntries, observer);
        self.add(driver);
        return driver;
    }

    /** The process dies: nothing but the storage survives, and nothing pending is answered. */
    public void crash() {
        up = false;
        raft = null;
        driver = null;
        applier = null;
        sm = null;
        applied = null;
        storage = null;
    }

    @Override
    public String toString() {
        return up ? raft.toString() : id + "[down]";
    }
}
