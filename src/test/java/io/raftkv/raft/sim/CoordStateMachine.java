package io.raftkv.raft.sim;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvEvent;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.node.CapturedState;
import io.raftkv.raft.SnapshotData;
import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import io.raftkv.kv.TxnCommand;
import io.raftkv.node.StateMachine;
import io.raftkv.watch.WatchHub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One node's production {@link KvStateMachine}, with its {@link WatchHub} (the watch history) on the
 * simulated clock, applied in step with the simulator's own model: the clients' commands go to both
 * (a compare-and-set as the equivalent production transaction), lease commands and transactions only
 * to the production one. Each entry and each restore is reported to the {@link WatchChecker}.
 */
final class CoordStateMachine implements StateMachine<Boolean>, KvStateMachine.Listener {
    /** Large enough that only a restore ever moves the history's floor in a run. */
    private static final WatchHub.Bounds BOUNDS = new WatchHub.Bounds(1_000_000, 1L << 40, Duration.ofDays(365), 1);

    final LocalNode node;
    final SimStateMachine sim;
    final KvStateMachine kv = new KvStateMachine();
    final WatchHub hub;
    private final WatchChecker checker;
    /** The index of this life's last restore, -1 before any. */
    long restoredAt = -1;
    /** What the entry being applied changed, as the state machine told its listener. */
    private final List<KvEvent> emitted = new ArrayList<>();

    CoordStateMachine(LocalNode node, SimStateMachine sim, WatchChecker checker) {
        this.node = node;
        this.sim = sim;
        this.checker = checker;
        this.hub = new WatchHub(kv, BOUNDS, checker::nanos);
        kv.listen(this);
    }

    @Override
    public Boolean apply(long index, byte[] command) {
        TreeMap<String, KeyValue> before = keys();
        List<Leases.Lease> leasesBefore = kv.leases();
        emitted.clear();
        boolean result = true;
        if (LeaseCommand.isLease(command) || TxnCommand.isTxn(command)) {
            kv.apply(index, command);
            sim.skip(index);
        } else {
            KvCommand c = KvCommand.decode(command);
            result = sim.apply(index, command);
            kv.apply(index, production(c, index));
        }
        checker.applied(this, index, command, before, leasesBefore, List.copyOf(emitted));
        return result;
    }

    /** The production command a simulated client's write stands for. */
    private static byte[] production(KvCommand c, long index) {
        byte[] value = c.value() == null ? null : c.value().getBytes(StandardCharsets.UTF_8);
        return switch (c.kind()) {
            case PUT -> new io.raftkv.kv.KvCommand.Put(c.key(), value, null, null, null, index).encode();
            case DELETE -> new io.raftkv.kv.KvCommand.Delete(c.key(), null, null, index).encode();
            case CAS -> new TxnCommand(List.of(c.expected() == null
                    ? new TxnCommand.Compare(c.key(), TxnCommand.Target.CREATE_REVISION, TxnCommand.Operator.EQUAL, 0, null)
                    : new TxnCommand.Compare(c.key(), TxnCommand.Target.VALUE, TxnCommand.Operator.EQUAL, 0,
                    c.expected().getBytes(StandardCharsets.UTF_8))),
                    List.of(new TxnCommand.Put(c.key(), value, null, 0)), List.of(), null, index).encode();
        };
    }

    @Override
    public void skip(long index) {
        sim.skip(index);
        kv.skip(index);
        checker.applied(this, index, null, null, null, List.of());
    }

    @Override
    public long appliedIndex() {
        return sim.appliedIndex();
    }

    /** The simulator's model first, then the production state, which reads the stream to its end. */
    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        sim.writeSnapshot(out);
        kv.writeSnapshot(out);
    }

    /**
     * As the production node captures: the key-value state as references to its values, written
     * later by the simulated snapshot writer, after more entries have been applied.
     */
    @Override
    public SnapshotData capture() throws IOException {
        java.io.ByteArrayOutputStream model = new java.io.ByteArrayOutputStream();
        sim.writeSnapshot(model);
        byte[] modelBytes = model.toByteArray();
        KvStateMachine.Image image = kv.capture();
        return new CapturedState(out -> {
            out.write(modelBytes);
            image.writeTo(out);
        });
    }

    @Override
    public void restore(InputStream in) throws IOException {
        sim.restore(in);
        kv.restore(in);
        restoredAt = kv.appliedIndex();
        checker.restored(this);
    }

    @Override
    public void applied(long revision, List<KvEvent> events) {
        emitted.addAll(events);
        hub.applied(revision, events);
    }

    @Override
    public void restored(long appliedIndex) {
        hub.restored(appliedIndex);
    }

    /** Every key as applied here. */
    TreeMap<String, KeyValue> keys() {
        TreeMap<String, KeyValue> out = new TreeMap<>();
        kv.list("", null, Integer.MAX_VALUE).items().forEach(k -> out.put(k.key(), k));
        return out;
    }
}
