package io.raftkv.jepsen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Judges a bank run (issue 13's check (c)) with the revision as the order of everything: every
 * transaction is one log entry at one revision. The ledger (one key per applied transfer, written by
 * the transfer itself) says which transfers applied and at which revision; replaying them from the
 * initial balances gives the state at every revision, and every operation must agree with it: an
 * applied transfer's comparison held just before its revision and a refused one's did not (and its
 * failure branch read that state); every read of all accounts saw exactly the state at its revision;
 * the total never changed; an operation that ended before another began has the smaller revision
 * (real time); each acknowledged transfer is in the ledger exactly as answered (applied: at its
 * revision, once; refused: absent); and sending it again with its Idempotency-Key gets the same answer.
 */
final class BankAnalysis {
    enum Outcome { APPLIED, REFUSED, UNKNOWN }

    /**
     * One transfer of {@code amount} from account {@code from} to {@code to}, if their modification
     * revisions are still {@code expectFrom} and {@code expectTo}. {@code seen}: what the failure
     * branch read (REFUSED only); {@code again}: the answer to sending it again (null: not resent).
     */
    record Transfer(String id, int from, int to, long amount, long expectFrom, long expectTo, long sentAt, long answeredAt,
                    Outcome outcome, long revision, State seen, Answer again) {
    }

    /** What a transfer was answered: applied or not, at which revision. */
    record Answer(boolean succeeded, long revision) {
    }

    /** Balances and modification revisions of the accounts read at {@code revision} (0: unknown, a listing). */
    record State(long revision, long[] balances, long[] modRevisions) {
        long total() {
            return Arrays.stream(balances).sum();
        }

        boolean sameAs(State o) {
            return Arrays.equals(balances, o.balances) && Arrays.equals(modRevisions, o.modRevisions);
        }

        @Override
        public String toString() {
            return "rev " + revision + " balances " + Arrays.toString(balances) + " modRevisions " + Arrays.toString(modRevisions);
        }
    }

    /** A read of all accounts in one transaction (or a listing, with revision 0), sent and answered at these times. */
    record Read(long sentAt, long answeredAt, State state) {
    }

    /** A ledger key: which transfer applied at {@code modRevision}, and its version (1 if written once). */
    record Entry(String id, long modRevision, long version) {
    }

    private BankAnalysis() {
    }

    static List<String> check(State initial, List<Transfer> transfers, List<Read> reads, List<Entry> ledger) {
        List<String> v = new ArrayList<>();
        long total = initial.total();
        Map<String, Transfer> byId = new TreeMap<>();
        transfers.forEach(t -> byId.put(t.id(), t));
        TreeMap<Long, Transfer> applied = new TreeMap<>();
        for (Entry e : ledger) {
            Transfer t = byId.get(e.id());
            if (t == null) {
                v.add("the ledger holds " + e + ", which no client sent");
                continue;
            }
            if (e.version() != 1) {
                v.add("transfer " + e.id() + " was written " + e.version() + " times: " + t);
            }
            if (applied.put(e.modRevision(), t) != null) {
                v.add("two transfers applied at revision " + e.modRevision());
            }
        }
        for (Transfer t : transfers) {
            Entry e = ledger.stream().filter(x -> x.id().equals(t.id())).findFirst().orElse(null);
            if (t.outcome() == Outcome.APPLIED && (e == null || e.modRevision() != t.revision())) {
                v.add("acknowledged as applied at revision " + t.revision() + " but the ledger has " + e + ": " + t);
            } else if (t.outcome() == Outcome.REFUSED && e != null) {
                v.add("answered 'not applied' but the ledger has " + e + ": " + t);
            }
            if (t.again() != null && t.outcome() != Outcome.UNKNOWN
                    && !t.again().equals(new Answer(t.outcome() == Outcome.APPLIED, t.revision()))) {
                v.add("sent again with its Idempotency-Key it was answered " + t.again() + ": " + t);
            }
        }
        // The state after every applied transfer, by revision.
        TreeMap<Long, State> states = new TreeMap<>();
        states.put(initial.revision(), initial);
        State s = initial;
        for (Map.Entry<Long, Transfer> a : applied.entrySet()) {
            Transfer t = a.getValue();
            if (s.modRevisions()[t.from()] != t.expectFrom() || s.modRevisions()[t.to()] != t.expectTo()) {
                v.add("applied at revision " + a.getKey() + " although its comparison failed on " + s + ": " + t);
            }
            long[] b = s.balances().clone();
            long[] m = s.modRevisions().clone();
            b[t.from()] -= t.amount();
            b[t.to()] += t.amount();
            m[t.from()] = a.getKey();
            m[t.to()] = a.getKey();
            s = new State(a.getKey(), b, m);
            states.put(a.getKey(), s);
        }
        for (Transfer t : transfers) {
            if (t.outcome() != Outcome.REFUSED) {
                continue;
            }
            State at = stateAt(states, t.revision());
            if (at.modRevisions()[t.from()] == t.expectFrom() && at.modRevisions()[t.to()] == t.expectTo()) {
                v.add("refused at revision " + t.revision() + " although its comparison held on " + at + ": " + t);
            }
            if (t.seen().balances()[t.from()] != at.balances()[t.from()] || t.seen().balances()[t.to()] != at.balances()[t.to()]
                    || t.seen().modRevisions()[t.from()] != at.modRevisions()[t.from()]
                    || t.seen().modRevisions()[t.to()] != at.modRevisions()[t.to()]) {
                v.add("refused at revision " + t.revision() + ", its failure branch read " + t.seen() + " but the state was " + at + ": " + t);
            }
        }
        for (Read r : reads) {
            if (r.state().total() != total) {
                v.add("a read at [" + r.sentAt() / 1e9 + ", " + r.answeredAt() / 1e9 + "] s totals " + r.state().total()
                        + ", not " + total + ": " + r.state());
            }
            if (r.state().revision() > 0 && !r.state().sameAs(stateAt(states, r.state().revision()))) {
                v.add("a read saw " + r.state() + " but the transfers applied make it " + stateAt(states, r.state().revision()));
            }
        }
        v.addAll(realTime(transfers, reads));
        return v;
    }

    private static State stateAt(TreeMap<Long, State> states, long revision) {
        return states.floorEntry(revision).getValue();
    }

    private record Timed(String what, long sentAt, long answeredAt, long revision) {
    }

    /** An operation that ended before another began must have the smaller revision. */
    private static List<String> realTime(List<Transfer> transfers, List<Read> reads) {
        List<Timed> ops = new ArrayList<>();
        transfers.stream().filter(t -> t.outcome() != Outcome.UNKNOWN)
                .forEach(t -> ops.add(new Timed("transfer " + t.id(), t.sentAt(), t.answeredAt(), t.revision())));
        reads.stream().filter(r -> r.state().revision() > 0)
                .forEach(r -> ops.add(new Timed("read", r.sentAt(), r.answeredAt(), r.state().revision())));
        List<Timed> byEnd = new ArrayList<>(ops);
        byEnd.sort(Comparator.comparingLong(Timed::answeredAt));
        List<Timed> byStart = new ArrayList<>(ops);
        byStart.sort(Comparator.comparingLong(Timed::sentAt));
        List<String> v = new ArrayList<>();
        Timed latest = null;
        int i = 0;
        for (Timed b : byStart) {
            while (i < byEnd.size() && byEnd.get(i).answeredAt() < b.sentAt()) {
                Timed a = byEnd.get(i++);
                if (latest == null || a.revision() > latest.revision()) {
                    latest = a;
                }
            }
            if (latest != null && latest.revision() >= b.revision()) {
                v.add(String.format("%s at revision %d began at %.3f s, after %s at revision %d had ended at %.3f s",
                        b.what(), b.revision(), b.sentAt() / 1e9, latest.what(), latest.revision(), latest.answeredAt() / 1e9));
            }
        }
        return v;
    }
}
