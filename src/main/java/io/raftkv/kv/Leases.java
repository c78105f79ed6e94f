package io.raftkv.kv;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The leases of one state and the keys attached to them. The apply thread changes it; other threads
 * read through the synchronized accessors, each a consistent moment. A snapshot restore builds a new
 * one and swaps it in.
 */
public final class Leases {
    private final Map<String, Long> leaseOfKey = new HashMap<>();
    /** The highest term of any lease command applied; an expiration from an older term is stale. */
    private long highestTerm;

    private final TreeMap<Long, Lease0> leases = new TreeMap<>();

    /** A lease as replicated: its TTL, the revision of its last grant or keepalive, and its keys in code point order. */
    public record Lease(long id, long ttlMillis, long renewedAt, List<String> keys) {
    }

    private static final class Lease0 {
        final long ttlMillis;
        long renewedAt;
        final TreeSet<String> keys = new TreeSet<>(Utf8.CODE_POINT_ORDER);

        Lease0(long ttlMillis, long renewedAt) {
            this.ttlMillis = ttlMillis;
            this.renewedAt = renewedAt;
        }
    }

    synchronized long highestTerm() {
        return highestTerm;
    }

    synchronized void observeTerm(long term) {
        highestTerm = Math.max(highestTerm, term);
    }

    synchronized void grant(long id, long ttlMillis) {
        leases.put(id, new Lease0(ttlMillis, id));
    }

    synchronized boolean renew(long id, long revision) {
        Lease0 l = leases.get(id);
        if (l == null) {
            return false;
        }
        l.renewedAt = revision;
        return true;
    }

    synchronized boolean exists(long id) {
        return leases.containsKey(id);
    }

    /** Ends lease {@code id}; its keys, which the caller deletes, or null when there is no such lease. */
    synchronized List<String> end(long id) {
        Lease0 l = leases.remove(id);
        if (l == null) {
            return null;
        }
        for (String k : l.keys) {
            leaseOfKey.remove(k);
        }
        return new ArrayList<>(l.keys);
    }

    /** The key now belongs to {@code id} (0: to no lease). */
    synchronized void attach(String key, long id) {
        Long previous = id == 0 ? leaseOfKey.remove(key) : leaseOfKey.put(key, id);
        if (previous != null && previous != id) {
            leases.get(previous).keys.remove(key);
        }
        if (id != 0) {
            leases.get(id).keys.add(key);
        }
    }

    synchronized Optional<Lease> get(long id) {
        Lease0 l = leases.get(id);
        return l == null ? Optional.empty() : Optional.of(view(id, l));
    }

    synchronized List<Lease> all() {
        List<Lease> out = new ArrayList<>(leases.size());
        leases.forEach((id, l) -> out.add(view(id, l)));
        return out;
    }

    synchronized boolean isEmpty() {
        return leases.isEmpty() && highestTerm == 0;
    }

    synchronized int size() {
        return leases.size();
    }

    private static Lease view(long id, Lease0 l) {
        return new Lease(id, l.ttlMillis, l.renewedAt, Collections.unmodifiableList(new ArrayList<>(l.keys)));
    }

    /** Rebuilds a lease from a snapshot; apply thread, before the instance is published. */
    void restore(long id, long ttlMillis, long renewedAt, List<String> keys) {
        Lease0 l = new Lease0(ttlMillis, renewedAt);
        leases.put(id, l);
        for (String k : keys) {
            l.keys.add(k);
            leaseOfKey.put(k, id);
        }
    }

    void restoreTerm(long term) {
        highestTerm = term;
    }
}
