package io.raftkv.raft.sim;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvEvent;
import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Leases;
import io.raftkv.raft.Peer;
import io.raftkv.watch.HistoryGoneException;
import io.raftkv.watch.HistoryReader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The watch and lease checks, run at every entry a node applies and every snapshot it restores:
 * <ul>
 *   <li>The events an entry emits are exactly what it changed: one put per key whose version is new,
 *       one delete per key that went, naming the lease whose end deleted it, all at the entry's index.</li>
 *   <li>Every node emits the same events at the same index (so every replica deletes the same lease
 *       keys at the same index), and the clients' keys match the simulator's own model.</li>
 *   <li>An expiration takes effect exactly when the lease exists, its renewal is the one the leader
 *       timed, and no lease command of a newer term was applied before it: a deposed leader's never.</li>
 *   <li>A watcher of each process, which keeps its cursor across the process's restarts as a client
 *       reconnecting with Last-Event-ID does, reads from the production history every committed change
 *       in revision order with no gap and nothing else; or is told the history is gone, only when a
 *       restore moved the history past its cursor, and then resumes at the oldest revision offered.</li>
 * </ul>
 */
final class WatchChecker {
    private final LongSupplier nowMs;
    /** The events of each committed index, as first applied anywhere; empty for an entry that changed no key. */
    private final Map<Long, List<KvEvent>> committed = new HashMap<>();
    private long firstAppliedUpTo;
    /** The highest term of a lease command that was not a refused expiration, in log order. */
    private long leaseTerm;
    /** Each process's watcher: the revision it has seen everything up to. */
    private final Map<String, Long> cursors = new HashMap<>();
    final Map<String, Long> counts = new TreeMap<>();

    WatchChecker(LongSupplier nowMs) {
        this.nowMs = nowMs;
    }

    long nanos() {
        return nowMs.getAsLong() * 1_000_000L;
    }

    /**
     * @param entry  the command, null for an entry that is none
     * @param before the keys just before it, null for an entry that is no command
     */
    void applied(CoordStateMachine m, long index, byte[] entry, TreeMap<String, KeyValue> before,
                 List<Leases.Lease> leasesBefore, List<KvEvent> events) {
        LeaseCommand lease = entry != null && LeaseCommand.isLease(entry) ? LeaseCommand.decode(entry) : null;
        if (before != null) {
            expectExactly(m, index, lease, before, events);
            sameAsModel(m);
        }
        List<KvEvent> known = committed.putIfAbsent(index, events);
        if (known == null) {
            if (index != firstAppliedUpTo + 1) {
                fail(m, "index " + index + " was applied first anywhere before index " + (firstAppliedUpTo + 1));
            }
            firstAppliedUpTo = index;
            if (lease != null) {
                leaseRules(m, lease, leasesBefore);
            }
        } else if (!known.equals(events)) {
            fail(m, "emitted at index " + index + ": " + events + " where another node emitted " + known);
        }
        count("entries applied");
        count(events.isEmpty() ? "entries without events" : "entries with events");
        poll(m);
    }

    void restored(CoordStateMachine m) {
        count("restores");
        poll(m);
    }

    /** The events are the difference between the keys before and after, in any order within the entry. */
    private void expectExactly(CoordStateMachine m, long index, LeaseCommand lease, TreeMap<String, KeyValue> before,
                               List<KvEvent> events) {
        TreeMap<String, KeyValue> after = m.keys();
        long endedLease = lease instanceof LeaseCommand.Revoke r ? r.id() : lease instanceof LeaseCommand.Expire x ? x.id() : 0;
        List<KvEvent> expected = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        for (String k : keys) {
            KeyValue a = after.get(k);
            KeyValue b = before.get(k);
            if (a != null && !a.equals(b)) {
                expected.add(new KvEvent(KvEvent.Type.PUT, index, a, 0));
            } else if (a == null && b != null) {
                expected.add(new KvEvent(KvEvent.Type.DELETE, index, b, endedLease));
            }
        }
        List<KvEvent> got = new ArrayList<>(events);
        got.sort(Comparator.comparing(KvEvent::key));
        if (!expected.equals(got)) {
            fail(m, "the events of index " + index + " are " + events + " but the entry changed " + expected);
        }
    }

    /** The clients' keys hold what the simulator's model holds. */
    private void sameAsModel(CoordStateMachine m) {
        Map<String, String> model = m.sim.contents();
        Map<String, String> production = new HashMap<>();
        m.keys().forEach((k, v) -> {
            if (!k.startsWith(LeaseWorkload.PREFIX)) {
                production.put(k, new String(v.value(), StandardCharsets.UTF_8));
            }
        });
        if (!model.equals(production)) {
            fail(m, "the production state machine holds " + production + " where the model holds " + model);
        }
    }

    /** At an expiration's first application, in log order: it takes effect exactly when it may. */
    private void leaseRules(CoordStateMachine m, LeaseCommand cmd, List<Leases.Lease> before) {
        if (!(cmd instanceof LeaseCommand.Expire x)) {
            leaseTerm = Math.max(leaseTerm, cmd.term());
            return;
        }
        Optional<Leases.Lease> was = before.stream().filter(l -> l.id() == x.id()).findFirst();
        boolean ended = was.isPresent() && m.kv.lease(x.id()).isEmpty();
        boolean stale = x.term() < leaseTerm;
        boolean may = !stale && was.map(l -> l.renewedAt() == x.renewedAt()).orElse(true);
        if (ended && stale) {
            fail(m, "an expiration of lease " + x.id() + " proposed in term " + x.term() + " was applied after a lease command of term "
                    + leaseTerm + ": its leader had been deposed");
        }
        if (was.isPresent() && ended != may) {
            fail(m, "an expiration " + x + " of " + was.get() + (ended ? " was applied" : " was refused") + " after lease commands of term " + leaseTerm);
        }
        if (may) {
            leaseTerm = Math.max(leaseTerm, x.term());
        }
        count(ended ? "expirations applied" : stale && was.isPresent() ? "expirations of a deposed leader refused"
                : was.isPresent() ? "expirations of a renewed lease refused" : "expirations of an ended lease");
    }

    /** This process's watcher reads what is new in the node's history. */
    private void poll(CoordStateMachine m) {
        String name = Peer.nameOf(m.node.id);
        long cursor = cursors.getOrDefault(name, 0L);
        while (true) {
            List<HistoryReader.Batch> batches;
            try {
                batches = HistoryReader.after(m.hub, cursor, 256, nanos());
            } catch (HistoryGoneException g) {
                if (g.floor() <= cursor || g.floor() != m.restoredAt) {
                    fail(m, "the history is gone from " + g.floor() + " for a watcher at " + cursor + ", but this life's last restore was at "
                            + m.restoredAt);
                }
                count("watchers told the history is gone after a restore");
                cursor = g.floor();
                continue;
            }
            for (HistoryReader.Batch b : batches) {
                nothingBetween(m, cursor, b.revision());
                if (!b.events().equals(committed.get(b.revision()))) {
                    fail(m, "a watcher read at revision " + b.revision() + " " + b.events() + " where the committed changes are "
                            + committed.get(b.revision()));
                }
                count("events a watcher read", b.events().size());
                cursor = b.revision();
            }
            if (batches.size() < 256) {
                break;
            }
        }
        nothingBetween(m, cursor, m.kv.appliedIndex() + 1);
        cursors.put(name, cursor);
    }

    /** No committed change lies strictly between the two revisions a watcher read one after the other. */
    private void nothingBetween(CoordStateMachine m, long from, long to) {
        for (long j = from + 1; j < to; j++) {
            List<KvEvent> e = committed.get(j);
            if (e != null && !e.isEmpty()) {
                fail(m, "a watcher at revision " + from + " was next sent revision " + to + ", missing " + e + " at " + j);
            }
        }
    }

    private void count(String what) {
        count(what, 1);
    }

    private void count(String what, long n) {
        counts.merge(what, n, Long::sum);
    }

    private static void fail(CoordStateMachine m, String problem) {
        throw new IllegalStateException("watch check on " + m.node.id + ": " + problem);
    }
}
