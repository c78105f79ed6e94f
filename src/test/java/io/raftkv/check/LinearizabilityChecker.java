package io.raftkv.check;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a history of key-value operations is linearizable: whether there is one total
 * order of the operations, consistent with real time, in which every result is what a single
 * register per key would give.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoisation of (linearized set, state) pairs, and
 * P-compositionality: keys are independent, so each key's sub-history is checked on its own
 * (as Porcupine and Knossos do). An operation with an {@link KvOp.Outcome#UNKNOWN unknown} outcome
 * returns "at infinity", so it may be placed anywhere after its invocation, including after
 * everything else, which is the same as never having happened. Operations that certainly failed
 * are dropped; GETs with no result never reach the checker.
 */
public final class LinearizabilityChecker {

    /** Outcome of a check: linearizable, or the key whose history is not, with that history. */
    public record Result(boolean linearizable, String key, List<KvOp> history, String explanation) {
        static Result ok() {
            return new Result(true, null, List.of(), "linearizable");
        }
    }

    private final long maxStatesPerKey;

    public LinearizabilityChecker() {
        this(5_000_000);
    }

    /** @param maxStatesPerKey give up (throw) after visiting this many search states for one key */
    public LinearizabilityChecker(long maxStatesPerKey) {
        this.maxStatesPerKey = maxStatesPerKey;
    }

    public Result check(List<KvOp> history) {
        Map<String, List<KvOp>> byKey = new LinkedHashMap<>();
        for (KvOp op : history) {
            if (op.outcome() == KvOp.Outcome.FAILED) {
                continue;
            }
            if (op.kind() == KvOp.Kind.GET && op.outcome() != KvOp.Outcome.OK) {
                continue; // a read nobody saw constrains nothing
            }
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        for (Map.Entry<String, List<KvOp>> e : byKey.entrySet()) {
            // An operation of unknown outcome may always take effect after everything else, where it
            // changes nothing: if the others alone are linearizable, so is the whole. Only when they
            // are not must the search try where each took effect, which grows with every one of them
            // that might explain a refused compare-and-set (there is one after almost every write).
            List<KvOp> known = e.getValue().stream().filter(o -> o.outcome() != KvOp.Outcome.UNKNOWN).toList();
            String why = known.size() < e.getValue().size() && checkKey(known) == null ? null
                    : checkKey(withoutUnobservableWrites(e.getValue()));
            if (why != null) {
                List<KvOp> sorted = new ArrayList<>(e.getValue());
                sorted.sort(Comparator.comparingLong(KvOp::invokedAt));
                return new Result(false, e.getKey(), sorted, "no linearization exists for key " + e.getKey() + ". " + why);
            }
        }
        return Result.ok();
    }

    /**
     * Drops writes of unknown outcome that nothing could have observed. Such a write can always be
     * linearized last, where it changes nothing; it could only make a difference by explaining a read
     * of its value, a compare-and-set expecting its value, or a refused compare-and-set after it
     * (which it might have made fail). Without these the search would try every place for every
     * timed-out write, which explodes exactly when a history is not linearizable.
     */
    private static List<KvOp> withoutUnobservableWrites(List<KvOp> ops) {
        Set<String> observed = new HashSet<>();
        long lastRefusedCasEnd = Long.MIN_VALUE;
        for (KvOp op : ops) {
            if (op.kind() == KvOp.Kind.GET && op.value() != null) {
                observed.add(op.value());
            }
            if (op.kind() == KvOp.Kind.CAS && op.expected() != null) {
                observed.add(op.expected());
            }
            if (op.kind() == KvOp.Kind.CAS && op.outcome() == KvOp.Outcome.OK && !op.ok()) {
                lastRefusedCasEnd = Math.max(lastRefusedCasEnd, op.completedAt());
            }
        }
        List<KvOp> kept = new ArrayList<>(ops.size());
        for (KvOp op : ops) {
            boolean unknownWrite = op.outcome() == KvOp.Outcome.UNKNOWN
                    && (op.kind() == KvOp.Kind.PUT || op.kind() == KvOp.Kind.CAS);
            // A refused CAS that completed before this write began cannot be explained by it.
            boolean mayExplainRefusal = lastRefusedCasEnd >= op.invokedAt();
            if (unknownWrite && !observed.contains(op.value()) && !mayExplainRefusal) {
                continue;
            }
            kept.add(op);
        }
        return kept;
    }

    // ---------------------------------------------------------------- the register model

    /** Applies {@code op} to a register holding {@code state}; returns the new state, or NO if the result is impossible. */
    private static final Object NO = new Object();

    private static Object step(String state, KvOp op) {
        boolean unknown = op.outcome() == KvOp.Outcome.UNKNOWN;
        return switch (op.kind()) {
            case PUT -> op.value();
            case DELETE -> null;
            case GET -> Objects.equals(state, op.value()) ? state : NO;
            case CAS -> {
                boolean matches = Objects.equals(state, op.expected());
                if (unknown) {
                    yield matches ? op.value() : state;
                }
                if (op.ok()) {
                    yield matches ? op.value() : NO;
                }
                yield matches ? NO : state;
            }
        };
    }

    // ---------------------------------------------------------------- Wing & Gong with Lowe's cache

    private static final class Node {
        final KvOp op;
        final int id;
        final boolean isCall;
        Node match; // call -> its return
        Node prev;
        Node next;

        Node(KvOp op, int id, boolean isCall) {
            this.op = op;
            this.id = id;
            this.isCall = isCall;
        }
    }

    private record Event(long time, boolean isCall, int id, KvOp op) {
    }

    private record CacheKey(BitSet linearized, String state) {
    }

    private record Frame(Node call, String stateBefore) {
    }

    /** Returns null if the key's history is linearizable, else what the search got furthest with. */
    private String checkKey(List<KvOp> ops) {
        List<Event> events = new ArrayList<>(ops.size() * 2);
        for (int i = 0; i < ops.size(); i++) {
            KvOp op = ops.get(i);
            long end = op.outcome() == KvOp.Outcome.UNKNOWN ? Long.MAX_VALUE : op.completedAt();
            events.add(new Event(op.invokedAt(), true, i, op));
            events.add(new Event(end, false, i, op));
        }
        // At equal times calls come first: touching operations count as concurrent, which never
        // rejects a history a finer clock would accept.
        events.sort(Comparator.comparingLong(Event::time).thenComparing(e -> !e.isCall()));

        Node head = new Node(null, -1, false);
        Node tail = head;
        Node[] calls = new Node[ops.size()];
        for (Event ev : events) {
            Node n = new Node(ev.op(), ev.id(), ev.isCall());
            if (ev.isCall()) {
                calls[ev.id()] = n;
            } else {
                calls[ev.id()].match = n;
            }
            tail.next = n;
            n.prev = tail;
            tail = n;
        }

        Set<CacheKey> cache = new HashSet<>();
        ArrayDeque<Frame> stack = new ArrayDeque<>();
        BitSet linearized = new BitSet(ops.size());
        String state = null;
        Node entry = head.next;
        long visited = 0;
        int deepest = -1;
        String furthest = "";
        while (head.next != null) {
            if (++visited > maxStatesPerKey) {
                throw new IllegalStateException("linearizability search exceeded " + maxStatesPerKey + " states");
            }
            if (entry.isCall) {
                Object next = step(state, entry.op);
                if (next != NO) {
                    BitSet after = (BitSet) linearized.clone();
                    after.set(entry.id);
                    if (cache.add(new CacheKey(after, (String) next))) {
                        stack.push(new Frame(entry, state));
                        state = (String) next;
                        linearized = after;
                        lift(entry);
                        entry = head.next;
                        if (stack.size() > deepest) {
                            deepest = stack.size();
                            furthest = describe(stack, state, head, ops.size());
                        }
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                // Reached the return of an operation not yet linearized: undo the last choice.
                if (stack.isEmpty()) {
                    return deepest < 0 ? "Not even the first operation fits an empty register: "
                            + pending(head) : furthest;
                }
                Frame top = stack.pop();
                state = top.stateBefore();
                linearized.clear(top.call().id);
                unlift(top.call());
                entry = top.call().next;
            }
        }
        return null;
    }

    /**
     * The longest linearizable prefix found so far, the register's value after it, and the operations
     * that could come next but do not fit: where to start reading a counterexample (like Porcupine's
     * partial linearizations).
     */
    private static String describe(ArrayDeque<Frame> stack, String state, Node head, int total) {
        List<String> order = new ArrayList<>();
        stack.descendingIterator().forEachRemaining(f -> order.add(f.call().op.toString()));
        int from = Math.max(0, order.size() - 8);
        return "The longest linearizable prefix has " + order.size() + " of " + total + " operations"
                + (from > 0 ? ", ending" : "") + ": " + String.join("; ", order.subList(from, order.size()))
                + ". The value is then " + (state == null ? "absent" : "'" + state + "'") + ", and none of these can come next: "
                + pending(head);
    }

    /** The operations that may be linearized next: every call before the first pending return. */
    private static String pending(Node head) {
        List<String> next = new ArrayList<>();
        for (Node n = head.next; n != null && n.isCall; n = n.next) {
            next.add(n.op.toString());
        }
        if (head.next != null && !head.next.isCall && next.isEmpty()) {
            next.add(head.next.op.toString() + " (must complete first)");
        }
        return String.join("; ", next);
    }

    private static void lift(Node call) {
        call.prev.next = call.next;
        call.next.prev = call.prev;
        Node ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Node call) {
        Node ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        call.next.prev = call;
    }
}
