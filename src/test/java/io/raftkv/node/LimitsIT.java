package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.cluster.Redirects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store quota and the queue bounds on real three-node clusters: what a client sees past the
 * quota, and that a flood of large writes gets an answer for every request without any node
 * running out of heap.
 */
class LimitsIT {
    private static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]+)\"");
    private static final Pattern VALUE = Pattern.compile("\"value\":([0-9.E]+)");

    @TempDir
    Path dir;
    private final KvHttp http = new KvHttp();

    private static String follower(LocalProcessCluster c) {
        String leader = c.awaitLeader(Duration.ofSeconds(10));
        return c.nodes().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
    }

    private List<String> staleKeys(URI node, String prefix) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/kv?prefix=" + prefix
                + "&consistency=stale&limit=1000")), false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> keys = new ArrayList<>();
        Matcher m = KEY.matcher(r.body());
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    private double metric(URI node, String name, String tag) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/actuator/metrics/" + name
                + (tag == null ? "" : "?tag=" + tag))), false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Matcher m = VALUE.matcher(r.body());
        assertThat(m.find()).as(r.body()).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void pastTheQuotaWritesGet507WhileReadsAndDeletesWorkAndEveryReplicaAgrees() {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, "--raftkv.limits.max-store-size=1MB")) {
            c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            URI via = c.clientUrl(follower(c)); // writes follow the redirect to the leader, like curl -L
            String value = "x".repeat(100_000);
            // Each key counts 256 + 5 (key) + 100,000 (value) + 10 (text/plain) bytes: ten fit in 1 MiB, not eleven.
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> put = http.put(via, "big/" + i, value);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            }
            HttpResponse<String> full = http.put(via, "big/10", value);
            System.out.println("past the quota: " + full.statusCode() + " " + full.body());
            assertThat(full.statusCode()).isEqualTo(507);
            assertThat(full.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(full.body()).contains("\"type\":\"https://raftkv.io/problems/store-full\"", "\"quotaBytes\":1048576",
                    "\"usedBytes\":1002710", "max-store-size", "delete");

            String leader = c.awaitLeader(Duration.ofSeconds(10));
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(c.clientUrl(leader).resolve("/actuator/health")), false);
            assertThat(health.body()).as("the alarm shows in health")
                    .containsPattern("\"storeQuota\":\\{\"details\":\\{\"alarm\":true,[^}]*\"quotaBytes\":1048576[^}]*},\"status\":\"UP\"}");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(metric(c.clientUrl(leader), "kv.quota.exceeded", null)).isEqualTo(1.0);
            assertThat(http.send(HttpRequest.newBuilder(c.clientUrl(leader).resolve("/actuator/health/readiness")), false)
                    .statusCode()).as("a full store stays ready: reads and deletes work").isEqualTo(200);

            assertThat(http.get(via, "big/3").body()).isEqualTo(value);
            assertThat(http.put(via, "big/3", "smaller").statusCode()).as("a put that shrinks the store passes").isEqualTo(200);
            assertThat(http.put(via, "big/10", value).statusCode()).as("the room it made").isEqualTo(201);
            assertThat(http.put(via, "big/11", value).statusCode()).isEqualTo(507);
            assertThat(http.delete(via, "big/0").statusCode()).isEqualTo(204);
            assertThat(http.delete(via, "big/1").statusCode()).isEqualTo(204);
            assertThat(metric(c.clientUrl(leader), "kv.quota.exceeded", null)).isEqualTo(0.0);
            HttpResponse<String> again = http.put(via, "big/11", value);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(201);

            List<String> expected = List.of("big/10", "big/11", "big/2", "big/3", "big/4", "big/5", "big/6", "big/7", "big/8", "big/9");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            for (String n : c.nodes()) {
                while (!staleKeys(c.clientUrl(n), "big/").equals(expected) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(staleKeys(c.clientUrl(n), "big/")).as("keys on " + n).isEqualTo(expected);
                assertThat(http.get(c.clientUrl(n), "big/3", "consistency=stale").body()).isEqualTo("smaller");
            }
            double used = metric(c.clientUrl(leader), "kv.quota.used", null);
            for (String n : c.nodes()) {
                assertThat(metric(c.clientUrl(n), "kv.quota.used", null)).as("usage on " + n).isEqualTo(used);
            }
        }
    }

    /**
     * 32 clients write values of up to 1 MiB (and some too large) as fast as they can for ten
     * seconds to any node of a cluster whose JVMs have a 128 MiB heap, with the default limits for
     * that heap (a 12.8 MiB quota, 8 MiB of pending writes) and a snapshot every 200 entries. Every
     * request must get a clear answer, no node may run out of heap, and every node must serve
     * afterwards.
     *
     * <p>Heap is measured as the live heap after full collections (forced with jcmd before and
     * after the flood, plus any the flood caused). During the flood the bound is the heap itself:
     * passing it is an OutOfMemoryError, which every JVM reports in its log (-XX:OnOutOfMemoryError);
     * the peak is printed (measured: 50 to 80% of the heap, the part above the data being request
     * bodies, peer batches and snapshot encoding in flight). After the flood the live heap may have
     * grown by at most the state and the snapshot kept in memory (each at most the quota), the
     * 16 MiB log entry cache, and 16 MiB for what serving a first flood leaves behind (reflection
     * data, Tomcat processors and buffers, meters: measured 5 to 8 MiB).
     */
    @Test
    void aFloodOfLargeWritesGetsAClearAnswerForEveryRequestAndNoNodeRunsOutOfHeap() throws Exception {
        List<String> jvm = List.of("-Xmx128m", "-Xlog:gc:file=" + dir.resolve("{node}-gc.log"),
                "-XX:OnOutOfMemoryError=echo OutOfMemoryError in {node}");
        // Snapshots every 200 entries, so the flood also makes every node take (and hold) snapshots.
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, jvm, "--raftkv.snapshot.entries=200",
                "--raftkv.snapshot.trailing-entries=50")) {
            c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            Map<String, Long> baseline = new TreeMap<>();
            for (String n : c.nodes()) {
                baseline.put(n, liveHeap(c, n));
            }

            // Redirects followed hop by hop, like curl -L (see Redirects: the JDK 17 client's own following is unsafe).
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                    .connectTimeout(Duration.ofSeconds(2)).build();
            int[] sizes = {16 << 10, 256 << 10, 1 << 20, (1 << 20) + 1};
            Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
            List<String> problems = new ArrayList<>();
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            List<Thread> clients = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        byte[] body = new byte[sizes[rnd.nextInt(sizes.length)]];
                        URI node = c.clientUrl(c.nodes().get(rnd.nextInt(3)));
                        HttpRequest req = HttpRequest.newBuilder(KvHttp.uri(node, "flood/" + id + "/" + rnd.nextInt(8)))
                                .timeout(Duration.ofSeconds(20)).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                        try {
                            HttpResponse<String> r = Redirects.send(client, req, HttpResponse.BodyHandlers.ofString());
                            String key = Integer.toString(r.statusCode());
                            if (r.statusCode() >= 300) {
                                key += r.body().replaceAll("(?s).*\"type\":\"https://raftkv.io/problems/([a-z-]+)\".*", " $1");
                                boolean problemJson = r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json");
                                boolean retryAfter = r.headers().firstValue("Retry-After").isPresent();
                                if (!problemJson || ((r.statusCode() == 429 || r.statusCode() == 503) && !retryAfter)) {
                                    synchronized (problems) {
                                        problems.add(r.statusCode() + " " + r.headers().map() + " " + r.body());
                                    }
                                }
                            }
                            answers.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                        } catch (IOException e) {
                            answers.computeIfAbsent("no answer: " + e, k -> new AtomicInteger()).incrementAndGet();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                clients.add(w);
                w.start();
            }
            for (Thread w : clients) {
                w.join(60_000);
            }

            Map<String, Long> peak = new TreeMap<>();
            Map<String, Long> after = new TreeMap<>();
            Map<String, Long> maxPauseMs = new TreeMap<>();
            for (String n : c.nodes()) {
                List<long[]> fulls = fullCollections(dir.resolve(n + "-gc.log"));
                peak.put(n, fulls.stream().mapToLong(f -> f[0]).max().orElse(0));
                maxPauseMs.put(n, pauses(dir.resolve(n + "-gc.log")));
                after.put(n, liveHeap(c, n));
            }
            long heap = 128L << 20;
            long quota = NodeLimits.defaultStoreQuota(heap);
            long leaderships = c.nodes().stream().mapToLong(n -> c.logs(n).lines().filter(l -> l.contains("is the leader of term")).count()).sum();
            System.out.printf("flood of 32 clients for 10 s on -Xmx128m nodes: answers %s; live heap before %s KiB, peak during %s KiB,"
                            + " after %s KiB; longest GC pause %s ms; %d leader elections in all%n", new TreeMap<>(answers),
                    kib(baseline), kib(peak), kib(after), maxPauseMs, leaderships);

            assertThat(answers.keySet()).as("every request got an answer, and only these")
                    .allMatch(k -> k.matches("20[01]|413 value-too-large|429 too-many-requests|507 store-full|503 [a-z-]+"));
            assertThat(problems).as("every refusal is problem+json, 429 and 503 with Retry-After").isEmpty();
            assertThat(answers).containsKeys("201", "507 store-full", "413 value-too-large");
            for (String n : c.nodes()) {
                assertThat(c.logs(n)).as("log of " + n).doesNotContain("OutOfMemoryError");
                assertThat(after.get(n)).as("live heap after the flood on " + n)
                        .isLessThanOrEqualTo(baseline.get(n) + 2 * quota + (16L << 20) + (16L << 20));
            }
            c.awaitReady(Duration.ofSeconds(30));
            for (int i = 0; i < 8; i++) {
                HttpResponse<String> del = http.delete(c.clientUrl(c.nodes().get(i % 3)), "flood/0/" + i);
                assertThat(del.statusCode()).as(del.body()).isIn(204, 404);
            }
            for (String n : c.nodes()) {
                URI u = c.clientUrl(n);
                HttpResponse<String> put = http.put(u, "after/" + n, "still serving");
                assertThat(put.statusCode()).as(n + ": " + put.body()).isEqualTo(201);
                assertThat(http.get(u, "after/" + n).body()).isEqualTo("still serving");
            }
        }
    }

    private static final Pattern FULL_GC = Pattern.compile("Pause Full \\(.*?\\) (\\d+)M->(\\d+)M\\((\\d+)M\\)");
    private static final Pattern PAUSE = Pattern.compile("M\\(\\d+M\\) ([0-9.]+)ms");

    /** Forces a full collection in the node's JVM and answers the heap left after it: the live heap. */
    private long liveHeap(LocalProcessCluster c, String node) throws Exception {
        Path log = dir.resolve(node + "-gc.log");
        int before = fullCollections(log).size();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(c.pid(node)), "GC.run").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<long[]> fulls = fullCollections(log);
        while (fulls.size() == before && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            fulls = fullCollections(log);
        }
        assertThat(fulls).as("a full collection in " + log).hasSizeGreaterThan(before);
        return fulls.get(fulls.size() - 1)[0];
    }

    /** The heap after each full collection in a unified GC log, in bytes. */
    private static List<long[]> fullCollections(Path gcLog) throws IOException {
        List<long[]> out = new ArrayList<>();
        if (Files.exists(gcLog)) {
            Matcher m = FULL_GC.matcher(Files.readString(gcLog));
            while (m.find()) {
                out.add(new long[] {Long.parseLong(m.group(2)) << 20});
            }
        }
        return out;
    }

    /** The longest GC pause in the log, in whole milliseconds. */
    private static long pauses(Path gcLog) throws IOException {
        double max = 0;
        Matcher m = PAUSE.matcher(Files.readString(gcLog));
        while (m.find()) {
            max = Math.max(max, Double.parseDouble(m.group(1)));
        }
        return Math.round(max);
    }

    private static Map<String, Long> kib(Map<String, Long> bytes) {
        Map<String, Long> out = new TreeMap<>();
        bytes.forEach((k, v) -> out.put(k, v >> 10));
        return out;
    }
}
