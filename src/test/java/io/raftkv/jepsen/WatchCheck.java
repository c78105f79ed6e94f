package io.raftkv.jepsen;

import io.raftkv.check.KvOp;
import io.raftkv.cluster.ClusterUnderTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Issue 13's check (a): one watcher per node follows a prefix that three writers change (PUT,
 * DELETE and two-key transactions, a unique value per write) while the schedule's faults run. Watchers reconnect with
 * {@code Last-Event-ID} when their node dies or stalls and cut their own streams at random. After
 * the heal a last write (the fence) is made, every watcher is followed up to it, and the prefix is
 * read linearizably; {@link WatchAnalysis} judges the rest.
 */
final class WatchCheck {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What the check concluded, and enough figures to see that it exercised something. */
    record Result(List<String> violations, int writes, int events, int segments, int gones, List<String> faults) {
        @Override
        public String toString() {
            return String.format("%d acknowledged writes, %d events delivered over %d streams, %d times 410 Gone; faults %s",
                    writes, events, segments, gones, faults);
        }
    }

    private WatchCheck() {
    }

    static Result run(ClusterUnderTest cluster, Schedule schedule, long seed) {
        Map<String, URI> nodes = Faults.nodes(cluster);
        String prefix = schedule.name() + "/";
        History history = new History();
        Random random = new Random(seed);
        List<SseWatcher> watchers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            SseWatcher w = new SseWatcher("watcher-" + i, nodes, i, prefix, history, random.nextLong());
            watchers.add(w);
            threads.add(daemon(w, w.name()));
        }
        threads.forEach(Thread::start);
        long loadEnd = schedule.load().toNanos();
        List<Thread> writers = new ArrayList<>();
        List<Op> txnPuts = Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < 3; c++) {
            RecordingClient client = new RecordingClient(c, nodes, history, RecordingClient.Config.defaults(), random.nextLong());
            CoordHttp txns = new CoordHttp(nodes, history, c, random.nextLong(), Duration.ofMillis(1500));
            long s = random.nextLong();
            writers.add(daemon(() -> write(client, txns, txnPuts, prefix, loadEnd, history, new Random(s)), "watch-writer-" + c));
        }
        Faults faults = new Faults(cluster, schedule, history, random.nextLong());
        writers.forEach(Thread::start);
        writers.forEach(WatchCheck::join);
        try (faults) {
            faults.healAndAwait();
            RecordingClient fencer = new RecordingClient(99, nodes, history,
                    new RecordingClient.Config(Duration.ofSeconds(5), Duration.ofSeconds(30), 5), random.nextLong());
            Op fence = fencer.run(fencer.putCall(prefix + "fence", "fence"));
            if (!fence.succeeded()) {
                throw new IllegalStateException("the fence write after the heal failed: " + fence);
            }
            List<String> violations = new ArrayList<>();
            watchers.forEach(w -> w.stopAt(fence.revision()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            for (int i = 0; i < watchers.size(); i++) {
                join(threads.get(i), Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                SseWatcher w = watchers.get(i);
                if (w.lastId() < fence.revision()) {
                    w.abandon();
                    violations.add(w.name() + " did not reach revision " + fence.revision() + " within 30 s after the heal (last id "
                            + w.lastId() + "); its notes: " + w.notes());
                }
            }
            Map<String, List<SseWatcher.Segment>> segments = new LinkedHashMap<>();
            Map<String, List<SseWatcher.Gone>> gones = new LinkedHashMap<>();
            watchers.forEach(w -> {
                segments.put(w.name(), w.segments());
                gones.put(w.name(), w.gones());
            });
            List<Op> ops = new ArrayList<>(history.ops());
            ops.addAll(txnPuts);
            violations.addAll(WatchAnalysis.check(segments, gones, ops, list(nodes, history, prefix)));
            int events = segments.values().stream().flatMap(List::stream).mapToInt(s -> s.events().size()).sum();
            int streams = segments.values().stream().mapToInt(List::size).sum();
            int goneCount = gones.values().stream().mapToInt(List::size).sum();
            int acked = (int) ops.stream().filter(Op::succeeded).count();
            return new Result(violations, acked, events, streams, goneCount, faults.events());
        }
    }

    /**
     * PUTs and DELETEs of six keys, and now and then a transaction that puts two of them at one
     * revision (its acknowledged puts are recorded as PUTs at that revision).
     */
    private static void write(RecordingClient client, CoordHttp txns, List<Op> txnPuts, String prefix, long loadEnd,
                              History history, Random random) {
        int n = 0;
        while (history.now() < loadEnd) {
            int k = random.nextInt(6);
            String key = prefix + "k" + k;
            int what = random.nextInt(10);
            if (what < 2) {
                client.run(client.deleteCall(key));
            } else if (what < 4) {
                String other = prefix + "k" + (k + 1 + random.nextInt(5)) % 6;
                String v1 = "c" + client.id() + "-" + (++n);
                String v2 = "c" + client.id() + "-" + (++n);
                CoordHttp.Call c = txns.call("POST", "/txn", "{\"compare\":[],\"success\":[{\"op\":\"put\",\"key\":\"" + key
                        + "\",\"value\":\"" + v1 + "\"},{\"op\":\"put\",\"key\":\"" + other + "\",\"value\":\"" + v2
                        + "\"}],\"failure\":[]}", Map.of("Idempotency-Key", prefix + v1), st -> st == 200, Duration.ofSeconds(10));
                if (c.ok()) {
                    txnPuts.add(txnPut(client.id(), key, v1, c));
                    txnPuts.add(txnPut(client.id(), other, v2, c));
                }
            } else {
                client.run(client.putCall(key, "c" + client.id() + "-" + (++n)));
            }
            CoordHttp.sleep(20 + random.nextInt(120));
        }
    }

    private static Op txnPut(int client, String key, String value, CoordHttp.Call c) {
        return new Op(client, -1, KvOp.Kind.PUT, key, value, null, false, c.sentAt(), c.settled().answeredAt(), KvOp.Outcome.OK,
                200, c.settled().revision(), null, List.of(), "a put of a transaction");
    }

    /** The prefix as a linearizable listing shows it (values are base64 there). */
    static Map<String, WatchAnalysis.Listed> list(Map<String, URI> nodes, History history, String prefix) {
        CoordHttp http = new CoordHttp(nodes, history, 0, 1, Duration.ofSeconds(5));
        CoordHttp.Call c = http.call("GET", "/kv?values=true&limit=1000&prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8),
                null, Map.of(), s -> s == 200, Duration.ofSeconds(30));
        if (!c.ok()) {
            throw new IllegalStateException("the final listing of " + prefix + " failed: " + c.attempts());
        }
        JsonNode body = JSON.readTree(c.settled().body());
        if (!body.path("next").isNull() && !body.path("next").isMissingNode()) {
            throw new IllegalStateException("the final listing of " + prefix + " has more than one page");
        }
        Map<String, WatchAnalysis.Listed> out = new LinkedHashMap<>();
        for (JsonNode item : body.path("items")) {
            out.put(item.path("key").asString(), new WatchAnalysis.Listed(
                    new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8),
                    item.path("modRevision").asLong()));
        }
        return out;
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    static void join(Thread t) {
        join(t, 0);
    }

    static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
