package io.raftkv.jepsen;

import io.raftkv.cluster.ClusterUnderTest;
import io.raftkv.jepsen.LeaseAnalysis.Renewal;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Issue 13's check (b): four holders each grant a lease (TTL 2 s), attach two keys, keep it alive
 * every 500-700 ms for 2-5 s, then abandon it and start the next, while the schedule's faults run;
 * two observers read every such key linearizably, over and over, until each abandoned lease's keys
 * are gone. {@link LeaseAnalysis} judges the records.
 */
final class LeaseCheck {
    static final Duration TTL = Duration.ofSeconds(2);
    /** The lease timer's period (half an election timeout), the commit and the apply, on a busy machine. */
    static final Duration SLACK = Duration.ofMillis(300);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    record Result(List<String> violations, int leases, int lost, int reads, List<Long> goneAfter, List<String> faults) {
        @Override
        public String toString() {
            long max = goneAfter.stream().mapToLong(Long::longValue).max().orElse(0);
            return String.format("%d leases (%d lost while kept alive), %d reads; keys gone at most %d ms after the last renewal (TTL %d ms); faults %s",
                    leases, lost, reads, max / 1_000_000, TTL.toMillis(), faults);
        }
    }

    /** A lease's record while its holder works on it. */
    private static final class Held {
        final String name;
        final long id;
        final List<Renewal> renewals = new CopyOnWriteArrayList<>();
        final Map<String, Long> keys = Collections.synchronizedMap(new LinkedHashMap<>());
        final List<String> maybeKeys = new CopyOnWriteArrayList<>();
        volatile long abandonedAt = -1;
        volatile boolean seenGone;

        Held(String name, long id) {
            this.name = name;
            this.id = id;
        }

        List<String> allKeys() {
            List<String> all = new ArrayList<>(keys.keySet());
            all.addAll(maybeKeys);
            return all;
        }

        LeaseAnalysis.Lease record() {
            return new LeaseAnalysis.Lease(name, id, List.copyOf(renewals), Map.copyOf(keys), List.copyOf(maybeKeys), abandonedAt);
        }
    }

    private LeaseCheck() {
    }

    static Result run(ClusterUnderTest cluster, Schedule schedule, Duration electionTimeout, long seed) {
        Map<String, URI> nodes = Faults.nodes(cluster);
        History history = new History();
        Random random = new Random(seed);
        List<Held> leases = new CopyOnWriteArrayList<>();
        List<LeaseAnalysis.Read> reads = Collections.synchronizedList(new ArrayList<>());
        long loadEnd = schedule.load().toNanos();
        List<Thread> holders = new ArrayList<>();
        for (int h = 0; h < 4; h++) {
            CoordHttp http = new CoordHttp(nodes, history, h, random.nextLong(), Duration.ofMillis(1000));
            String name = schedule.name() + "/h" + h;
            long s = random.nextLong();
            holders.add(WatchCheck.daemon(() -> hold(http, name, leases, history, loadEnd, new Random(s)), "lease-holder-" + h));
        }
        AtomicBoolean holdersDone = new AtomicBoolean();
        long observeUntil = loadEnd + Duration.ofSeconds(60).toNanos();
        List<Thread> observers = new ArrayList<>();
        for (int o = 0; o < 2; o++) {
            CoordHttp http = new CoordHttp(nodes, history, o + 2, random.nextLong(), Duration.ofMillis(1000));
            observers.add(WatchCheck.daemon(() -> observe(http, leases, reads, history, holdersDone, observeUntil), "lease-observer-" + o));
        }
        try (Faults faults = new Faults(cluster, schedule, history, random.nextLong())) {
            holders.forEach(Thread::start);
            observers.forEach(Thread::start);
            holders.forEach(WatchCheck::join);
            holdersDone.set(true);
            faults.healAndAwait();
            observers.forEach(WatchCheck::join);
            List<LeaseAnalysis.Read> allReads = List.copyOf(reads);
            LeaseAnalysis.Verdict v = LeaseAnalysis.check(leases.stream().map(Held::record).toList(), allReads,
                    faults.elections(), TTL, electionTimeout, SLACK);
            int lost = (int) leases.stream().filter(l -> l.renewals.stream().anyMatch(r -> r.kind() == Renewal.Kind.GONE)).count();
            return new Result(v.violations(), leases.size(), lost, allReads.size(), v.goneAfter(), faults.events());
        }
    }

    /** One holder: lease after lease until the load ends, each kept alive for a while, then abandoned. */
    private static void hold(CoordHttp http, String name, List<Held> leases, History history, long loadEnd, Random random) {
        int generation = 0;
        while (history.now() < loadEnd) {
            CoordHttp.Call grant = http.call("POST", "/leases", "{\"ttl\":\"" + TTL.toMillis() + "ms\"}", Map.of(),
                    s -> s == 201, Duration.ofSeconds(3));
            if (!grant.ok()) {
                continue; // a lease granted without our knowing its id expires on its own: nothing to check
            }
            Held l = new Held(name + "-" + (++generation), JSON.readTree(grant.settled().body()).path("id").asLong());
            l.renewals.add(new Renewal(grant.settled().sentAt(), grant.settled().answeredAt(), Renewal.Kind.ACKED));
            leases.add(l);
            for (String k : List.of("a", "b")) {
                String key = l.name + "/" + k;
                CoordHttp.Call put = http.call("PUT", "/kv/" + key + "?lease=" + l.id, "\"" + key + "\"",
                        Map.of("Idempotency-Key", key + "-" + l.id), s -> s == 200 || s == 201 || s == 404, Duration.ofSeconds(3));
                if (put.ok() && put.settled().status() != 404) {
                    l.keys.put(key, put.settled().answeredAt());
                } else if (put.maybeApplied()) {
                    l.maybeKeys.add(key);
                }
            }
            long until = Math.min(loadEnd, history.now() + (2000 + random.nextInt(3000)) * 1_000_000L);
            while (history.now() < until) {
                CoordHttp.sleep(500 + random.nextInt(200));
                CoordHttp.Call ka = http.call("POST", "/leases/" + l.id + "/keepalive", null, Map.of(),
                        s -> s == 200 || s == 404, Duration.ofMillis(1500));
                if (!ka.ok()) {
                    l.renewals.add(new Renewal(ka.sentAt(), ka.answeredAt(), Renewal.Kind.UNKNOWN));
                } else if (ka.settled().status() == 200) {
                    l.renewals.add(new Renewal(ka.settled().sentAt(), ka.settled().answeredAt(), Renewal.Kind.ACKED));
                } else {
                    l.renewals.add(new Renewal(ka.settled().sentAt(), ka.settled().answeredAt(), Renewal.Kind.GONE));
                    break;
                }
            }
            l.abandonedAt = history.now();
        }
    }

    /** Reads every key of every lease not yet seen gone, round after round, until the holders are done and all are gone. */
    private static void observe(CoordHttp http, List<Held> leases, List<LeaseAnalysis.Read> reads, History history,
                                AtomicBoolean holdersDone, long until) {
        while (history.now() < until) {
            boolean pending = false;
            for (Held l : leases) {
                if (l.seenGone) {
                    continue;
                }
                long abandoned = l.abandonedAt;
                boolean allGone = abandoned >= 0;
                for (String key : l.allKeys()) {
                    CoordHttp.Call c = http.call("GET", "/kv/" + key, null, Map.of(), s -> s == 200 || s == 404, Duration.ofSeconds(3));
                    if (c.ok()) {
                        boolean found = c.settled().status() == 200;
                        reads.add(new LeaseAnalysis.Read(key, c.settled().sentAt(), c.settled().answeredAt(), found));
                        allGone &= !found && c.settled().sentAt() > abandoned;
                    } else {
                        allGone = false;
                    }
                }
                l.seenGone = allGone;
                pending |= !allGone;
            }
            if (!pending && holdersDone.get()) {
                return;
            }
            CoordHttp.sleep(30);
        }
    }
}
