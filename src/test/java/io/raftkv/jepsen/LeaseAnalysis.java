package io.raftkv.jepsen;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Judges what the lease holders did and what the observers read (issue 13's check (b)).
 *
 * <p>Alive: a renewal (grant or keepalive) the leader acknowledged was applied after the attempt that
 * got the answer was sent, and the lease lived then, so it lives at least until that send time plus
 * the TTL. A linearizable read of one of its keys sent after the key's PUT was acknowledged and
 * answered before that moment must find the key, and no keepalive may be told "no such lease" before it.
 *
 * <p>Gone: after the holder stops, the last renewal that may have applied is the last acknowledged
 * one, or a later one whose answer was lost; from the end of that (the latest it may have been
 * applied by this leader) the keys must be gone within TTL plus the grace a new leader gives
 * (two election timeouts) plus {@code slack} for the leader's lease timer and the commit. Every
 * election that began before that deadline restarts it from its end, since a new leader times every
 * lease anew. A read sent after the deadline that still finds a key is a violation; a key never seen
 * gone is one too.
 */
final class LeaseAnalysis {
    /** One grant or keepalive: when the answering attempt was sent, when it was answered, and the verdict. */
    record Renewal(long sentAt, long answeredAt, Kind kind) {
        enum Kind { ACKED, GONE, UNKNOWN }
    }

    /** A linearizable read of a lease's key: sent, answered, and whether the key was there. */
    record Read(String key, long sentAt, long answeredAt, boolean found) {
    }

    /**
     * One lease as its holder knew it. {@code keys}: acknowledged PUTs by their acknowledgement time;
     * {@code maybeKeys}: PUTs whose outcome is unknown; {@code abandonedAt} -1 while kept alive.
     */
    record Lease(String name, long id, List<Renewal> renewals, Map<String, Long> keys, List<String> maybeKeys, long abandonedAt) {
    }

    /** The violations, and how late after the last renewal each abandoned lease's keys were first seen gone (ns). */
    record Verdict(List<String> violations, List<Long> goneAfter) {
    }

    private LeaseAnalysis() {
    }

    static Verdict check(List<Lease> leases, List<Read> reads, List<Nemesis.Window> elections, Duration ttl,
                         Duration electionTimeout, Duration slack) {
        List<String> violations = new ArrayList<>();
        List<Long> goneAfter = new ArrayList<>();
        long ttlNanos = ttl.toNanos();
        long bound = ttlNanos + electionTimeout.toNanos() * 2 + slack.toNanos();
        List<Nemesis.Window> byStart = new ArrayList<>(elections);
        byStart.sort(Comparator.comparingLong(Nemesis.Window::start));
        for (Lease l : leases) {
            long aliveUntil = l.renewals().stream().filter(r -> r.kind() == Renewal.Kind.ACKED)
                    .mapToLong(r -> r.sentAt() + ttlNanos).max().orElse(Long.MIN_VALUE);
            for (Renewal r : l.renewals()) {
                if (r.kind() == Renewal.Kind.GONE && r.answeredAt() <= aliveUntil) {
                    violations.add(String.format("%s (lease %d): a keepalive answered 'no such lease' at %.3f s, but an acknowledged renewal keeps it until %.3f s",
                            l.name(), l.id(), r.answeredAt() / 1e9, aliveUntil / 1e9));
                }
            }
            for (Read r : reads) {
                Long put = l.keys().get(r.key());
                if (put != null && !r.found() && r.sentAt() >= put && r.answeredAt() <= aliveUntil) {
                    violations.add(String.format("%s (lease %d): %s was gone at a read of [%.3f, %.3f] s, but an acknowledged renewal keeps it until %.3f s",
                            l.name(), l.id(), r.key(), r.sentAt() / 1e9, r.answeredAt() / 1e9, aliveUntil / 1e9));
                }
            }
            if (l.abandonedAt() < 0) {
                continue;
            }
            long lastAck = l.renewals().stream().filter(r -> r.kind() == Renewal.Kind.ACKED)
                    .mapToLong(Renewal::answeredAt).max().orElse(Long.MIN_VALUE);
            long lastRenewal = l.renewals().stream().filter(r -> r.kind() == Renewal.Kind.ACKED || r.answeredAt() > lastAck && r.kind() == Renewal.Kind.UNKNOWN)
                    .mapToLong(Renewal::answeredAt).max().orElse(Long.MIN_VALUE);
            long deadline = lastRenewal + bound;
            for (Nemesis.Window w : byStart) {
                if (w.start() <= deadline) {
                    deadline = Math.max(deadline, w.end() + bound);
                }
            }
            List<String> all = new ArrayList<>(l.keys().keySet());
            all.addAll(l.maybeKeys());
            for (String key : all) {
                long firstGone = Long.MAX_VALUE;
                for (Read r : reads) {
                    if (!r.key().equals(key) || r.sentAt() < lastRenewal) {
                        continue;
                    }
                    if (r.found() && r.sentAt() > deadline) {
                        violations.add(String.format("%s (lease %d): %s was still there at a read sent at %.3f s; the last renewal that may have applied ended at %.3f s, so it should have been gone by %.3f s",
                                l.name(), l.id(), key, r.sentAt() / 1e9, lastRenewal / 1e9, deadline / 1e9));
                    } else if (!r.found()) {
                        firstGone = Math.min(firstGone, r.answeredAt());
                    }
                }
                if (firstGone == Long.MAX_VALUE) {
                    violations.add(l.name() + " (lease " + l.id() + "): " + key + " was never seen gone after its lease was abandoned");
                } else {
                    goneAfter.add(firstGone - lastRenewal);
                }
            }
        }
        return new Verdict(violations, goneAfter);
    }
}
