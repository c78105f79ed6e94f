package io.raftkv.raft.sim;

import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import io.raftkv.kv.TxnCommand;
import io.raftkv.node.LeaseClock;
import io.raftkv.node.StateMachine;
import io.raftkv.raft.Role;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Lease users and the leaders' lease clocks, on simulated time. Until the faults stop, a client on the
 * current leader grants leases, attaches keys under {@link #PREFIX} to them in transactions, keeps
 * about half of them alive and lets the others run out, and now and then revokes one. Every live
 * process runs the production {@link LeaseClock} as its {@code LeaseKeeper} would, one per life; an
 * expiration it answers reaches the driver at once, or sometimes only after a pause of up to ten
 * election timeouts (a stalled lease thread), by when the node may lead a later term or none.
 */
final class LeaseWorkload {
    static final String PREFIX = "lease/";
    private static final int MAX_LEASES = 6;

    private final Simulation sim;
    private final Random rnd;
    private final long stopAt;
    private final long electionMs;
    private final Map<String, LeaseClock> clocks = new HashMap<>();
    private final Map<String, StateMachine<Boolean>> lifeOf = new HashMap<>();
    /** Leases this client keeps alive; the others it has decided to abandon. */
    private final Set<Long> kept = new HashSet<>();
    private final Set<Long> decided = new HashSet<>();
    private int keysWritten;

    LeaseWorkload(Simulation sim, SimConfig cfg, long seed) {
        this.sim = sim;
        this.rnd = new Random(seed * 31 + 7);
        this.stopAt = cfg.faultMs();
        this.electionMs = (long) cfg.raft().electionTicks() * Simulation.TICK_MS;
    }

    void start() {
        sim.after(rnd.nextInt(100), this::act);
        sim.after(rnd.nextInt(Simulation.TICK_MS), this::tickClocks);
    }

    private void act() {
        if (sim.now() >= stopAt) {
            return;
        }
        sim.after(30 + rnd.nextInt(100), this::act);
        String leader = leader();
        if (leader == null) {
            return;
        }
        LocalNode l = sim.node(leader);
        long term = l.raft.term();
        List<Leases.Lease> leases = ((CoordStateMachine) l.applied).kv.leases();
        for (Leases.Lease lease : leases) {
            if (decided.add(lease.id()) && rnd.nextBoolean()) {
                kept.add(lease.id());
            }
        }
        int dice = rnd.nextInt(100);
        if (dice < 20 && leases.size() < MAX_LEASES) {
            sim.propose(leader, new LeaseCommand.Grant(term, 150 + rnd.nextInt(1_000)).encode());
        } else if (dice < 50 && !leases.isEmpty()) {
            Leases.Lease lease = leases.get(rnd.nextInt(leases.size()));
            String key = PREFIX + rnd.nextInt(12);
            byte[] value = ("v" + keysWritten++).getBytes(StandardCharsets.UTF_8);
            sim.propose(leader, new TxnCommand(List.of(), List.of(new TxnCommand.Put(key, value, null, lease.id())), List.of(),
                    null, sim.now()).encode());
        } else if (dice < 95) {
            for (Leases.Lease lease : leases) {
                if (kept.contains(lease.id())) {
                    sim.propose(leader, new LeaseCommand.KeepAlive(term, lease.id()).encode());
                }
            }
        } else if (!leases.isEmpty()) {
            sim.propose(leader, new LeaseCommand.Revoke(term, leases.get(rnd.nextInt(leases.size())).id()).encode());
        }
    }

    /** Each live process's lease clock, as its LeaseKeeper checks it (every half election timeout there, every tick here). */
    private void tickClocks() {
        sim.after(Simulation.TICK_MS, this::tickClocks);
        for (String name : sim.ids()) {
            LocalNode n = sim.node(name);
            if (!n.up) {
                clocks.remove(name);
                continue;
            }
            if (lifeOf.put(name, n.applied) != n.applied) {
                clocks.put(name, new LeaseClock(Duration.ofMillis(2 * electionMs)));
            }
            boolean leader = n.raft.role() == Role.LEADER;
            List<Leases.Lease> leases = leader ? ((CoordStateMachine) n.applied).kv.leases() : List.of();
            for (LeaseCommand.Expire x : clocks.get(name).check(leader, n.raft.term(), leases, sim.now() * 1_000_000L)) {
                byte[] command = x.encode();
                StateMachine<Boolean> life = n.applied;
                long pause = rnd.nextInt(3) == 0 ? rnd.nextLong(10 * electionMs) : 0;
                sim.after(pause, () -> {
                    if (sim.node(name).applied == life) {
                        sim.propose(name, command);
                    }
                });
            }
        }
    }

    private String leader() {
        String best = null;
        long bestTerm = -1;
        for (String name : sim.ids()) {
            LocalNode n = sim.node(name);
            if (n.up && n.raft.role() == Role.LEADER && n.raft.term() > bestTerm) {
                best = name;
                bestTerm = n.raft.term();
            }
        }
        return best;
    }
}
