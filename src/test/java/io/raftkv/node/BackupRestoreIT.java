package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.cluster.Redirects;
import io.raftkv.node.RestoredState.Write;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backup and disaster recovery on real node processes: a backup taken under a write load restores
 * into a new cluster holding exactly the writes at or before its index; a damaged backup stops the
 * node; one surviving member recovers a cluster that lost its majority.
 */
class BackupRestoreIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int WRITERS = 4;

    @TempDir
    Path dir;
    private final KvHttp http = new KvHttp();
    private final HttpClient raw = http.builder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void aBackupUnderLoadRestoresExactlyTheWritesAtOrBeforeItsIndexIntoANewCluster() throws Exception {
        Path file = dir.resolve("taken.backup");
        List<Write> writes;
        long index;
        long backupStart;
        try (LocalProcessCluster old = new LocalProcessCluster(3, dir.resolve("old"))) {
            old.awaitLeader(Duration.ofSeconds(60));
            old.awaitReady(Duration.ofSeconds(30));
            ConcurrentLinkedQueue<Write> log = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread t = new Thread(() -> load(old, writer, stop, log), "writer-" + w);
                t.start();
                writers.add(t);
            }
            String leader = old.awaitLeader(Duration.ofSeconds(10));
            String follower = old.nodes().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
            HttpResponse<String> redirect = http.send(HttpRequest.newBuilder(old.clientUrl(follower).resolve("/snapshot")).GET(), false);
            assertThat(redirect.statusCode()).as("a follower sends the backup request to the leader").isEqualTo(307);
            assertThat(redirect.headers().firstValue("Location")).hasValue(old.clientUrl(leader) + "/snapshot");
            awaitAcknowledged(log, 200);
            backupStart = System.nanoTime();
            HttpResponse<Path> answer = Redirects.send(raw, HttpRequest.newBuilder(old.clientUrl("n1").resolve("/snapshot"))
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofFile(file));
            int before = log.size();
            awaitAcknowledged(log, before + 200);
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }
            writes = List.copyOf(log);

            assertThat(answer.statusCode()).isEqualTo(200);
            BackupFormat.Verified v = BackupFormat.verify(file);
            index = Long.parseLong(answer.headers().firstValue("X-Raftkv-Snapshot-Index").orElseThrow());
            assertThat(v.header().index()).isEqualTo(index);
            assertThat(answer.headers().firstValue("X-Raftkv-Snapshot-Term").orElseThrow()).isEqualTo(Long.toString(v.header().term()));
            assertThat(answer.headers().firstValue("X-Raftkv-Snapshot-Sha256")).contains(v.sha256());
            assertThat(v.header().clusterId()).isEqualTo(Files.readString(old.dataDir("n1").resolve(ClusterId.FILE)).trim());

            onlyOneBackupAtATime(old);
        }

        long acknowledgedBefore = writes.stream().filter(w -> w.revision() > 0 && w.answeredNanos() < backupStart).count();
        assertThat(acknowledgedBefore).as("writes acknowledged before the backup started").isGreaterThanOrEqualTo(200);
        for (Write w : writes) {
            if (w.revision() > 0 && w.answeredNanos() < backupStart) {
                assertThat(w.revision()).as("%s, acknowledged before the backup started, is at or before its index", w)
                        .isLessThanOrEqualTo(index);
            }
        }
        assertThat(writes).as("some acknowledged writes come after the backup's index, so the check below can see them")
                .anyMatch(w -> w.revision() > index);

        try (LocalProcessCluster restored = new LocalProcessCluster(3, dir.resolve("new"), "--raftkv.restore-from=" + file)) {
            String leader = restored.awaitLeader(Duration.ofSeconds(60));
            restored.awaitReady(Duration.ofSeconds(30));
            RestoredState.assertServesExactlyTheWritesUpTo(index, writes, everything(restored.clientUrl(leader)));

            List<String> ids = Stream.of("n1", "n2", "n3").map(n -> read(restored.dataDir(n).resolve(ClusterId.FILE))).toList();
            assertThat(ids).as("every member derived the same new cluster ID").containsOnly(ids.get(0));
            assertThat(ids.get(0)).isNotEqualTo(BackupFormat.verify(file).header().clusterId());
            HttpResponse<String> next = http.put(restored.clientUrl("n2"), "after-restore", "x");
            assertThat(next.statusCode()).isEqualTo(201);
            assertThat(Long.parseLong(next.headers().firstValue("X-Raftkv-Revision").orElseThrow())).isGreaterThan(index);
        }
    }

    @Test
    void aDamagedBackupIsRefusedAndTheNodeDoesNotStart() throws Exception {
        Path file = dir.resolve("damaged.backup");
        try (LocalProcessCluster one = new LocalProcessCluster(1, dir.resolve("one"))) {
            one.awaitLeader(Duration.ofSeconds(60));
            assertThat(http.put(one.clientUrl("n1"), "k", "v").statusCode()).isEqualTo(201);
            HttpResponse<Path> answer = Redirects.send(raw, HttpRequest.newBuilder(one.clientUrl("n1").resolve("/snapshot"))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofFile(file));
            assertThat(answer.statusCode()).isEqualTo(200);
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(file, bytes);
        try (LocalProcessCluster refused = new LocalProcessCluster(1, dir.resolve("refused"), "--raftkv.restore-from=" + file)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (refused.isRunning("n1") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(refused.isRunning("n1")).as("the node stopped").isFalse();
            assertThat(refused.logs("n1")).contains("cannot be restored: its SHA-256 checksum does not match");
            try (Stream<Path> left = Files.list(refused.dataDir("n1"))) {
                assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".snap"));
            }
        }
    }

    @Test
    void oneSurvivingMemberForcedIntoANewClusterKeepsEveryWriteItHeld() throws Exception {
        Map<String, String> acknowledged = new HashMap<>();
        String oldId;
        try (LocalProcessCluster old = new LocalProcessCluster(3, dir.resolve("old"))) {
            old.awaitLeader(Duration.ofSeconds(60));
            old.awaitReady(Duration.ofSeconds(30));
            for (int i = 0; i < 40; i++) {
                String key = "k" + (i % 15);
                assertThat(http.put(old.clientUrl("n" + (1 + i % 3)), key, "v" + i).statusCode()).isBetween(200, 201);
                acknowledged.put(key, "v" + i);
            }
            // n1 must hold the last write (and so every earlier one) before the others are lost.
            awaitStale(old.clientUrl("n1"), "k9", "v39");
            old.kill("n2");
            old.kill("n3");
            awaitNoLeader(old.clientUrl("n1"));
            old.stop("n1");
            oldId = read(old.dataDir("n1").resolve(ClusterId.FILE));
            copy(old.dataDir("n1"), dir.resolve("survivor").resolve("n1"));
        }
        try (LocalProcessCluster alone = new LocalProcessCluster(1, dir.resolve("survivor"), "--raftkv.force-new-cluster=true")) {
            assertThat(alone.awaitLeader(Duration.ofSeconds(60))).isEqualTo("n1");
            URI n1 = alone.clientUrl("n1");
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                HttpResponse<String> got = http.get(n1, e.getKey());
                assertThat(got.statusCode()).as(e.getKey()).isEqualTo(200);
                assertThat(got.body()).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(http.put(n1, "after", "y").statusCode()).isEqualTo(201);
            JsonNode cluster = JSON.readTree(http.send(HttpRequest.newBuilder(n1.resolve("/cluster")).GET(), false).body());
            assertThat(cluster.get("members")).hasSize(1);
            assertThat(read(alone.dataDir("n1").resolve(ClusterId.FILE))).isNotEqualTo(oldId);
            assertThat(alone.logs("n1")).contains("FORCED A NEW CLUSTER");
        }
    }

    // ------------------------------------------------------------------ helpers

    private void load(LocalProcessCluster c, int writer, AtomicBoolean stop, ConcurrentLinkedQueue<Write> log) {
        for (int i = 0; !stop.get(); i++) {
            String key = "w" + writer + "/" + (i % 25);
            String value = "w" + writer + "-" + i;
            URI node = c.clientUrl("n" + (1 + ThreadLocalRandom.current().nextInt(3)));
            long start = System.nanoTime();
            long revision = 0;
            try {
                HttpResponse<String> r = http.put(node, key, value);
                if (r.statusCode() / 100 == 2) {
                    revision = Long.parseLong(r.headers().firstValue("X-Raftkv-Revision").orElseThrow());
                }
            } catch (RuntimeException e) {
                // outcome unknown: recorded with revision 0
            }
            log.add(new Write(key, value, revision, start, System.nanoTime()));
        }
    }

    private static void awaitAcknowledged(ConcurrentLinkedQueue<Write> log, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (log.stream().filter(w -> w.revision() > 0).count() < n) {
            assertThat(System.nanoTime()).as("%d writes acknowledged within 60 s", n).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Every key with its value, through the linearizable listing of {@code node}. */
    private Map<String, RestoredState.Served> everything(URI node) {
        Map<String, RestoredState.Served> all = new HashMap<>();
        String cursor = null;
        do {
            String q = node + "/kv?prefix=&values=true&limit=100" + (cursor == null ? "" : "&cursor="
                    + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(q)).GET(), true);
            assertThat(page.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(page.body());
            body.get("items").forEach(item -> all.put(item.get("key").asString(), new RestoredState.Served(
                    new String(Base64.getDecoder().decode(item.get("value").asString()), StandardCharsets.UTF_8),
                    item.get("modRevision").asLong())));
            cursor = body.get("next").isNull() ? null : body.get("next").asString();
        } while (cursor != null);
        return all;
    }

    /**
     * A client that stops reading holds the node's one backup: a second request meanwhile is refused
     * with 429, and once the first is gone the next one is served.
     */
    private void onlyOneBackupAtATime(LocalProcessCluster c) throws Exception {
        String leader = c.awaitLeader(Duration.ofSeconds(10));
        String mib = "x".repeat((1 << 20) - 1024);
        for (int i = 0; i < 12; i++) {
            assertThat(http.put(c.clientUrl(leader), "big/" + i, mib).statusCode()).isBetween(200, 201);
        }
        URI url = c.clientUrl(leader);
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new java.net.InetSocketAddress(url.getHost(), url.getPort()));
            OutputStream out = stalled.getOutputStream();
            out.write(("GET /snapshot HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = stalled.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).isEqualTo("HTTP/1.1 200");
            HttpResponse<String> second = http.send(HttpRequest.newBuilder(url.resolve("/snapshot")).GET(), false);
            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(second.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(JSON.readTree(second.body()).get("reason").asString()).isEqualTo("backup-in-progress");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int status;
        do {
            HttpResponse<Path> next = raw.send(HttpRequest.newBuilder(url.resolve("/snapshot")).timeout(Duration.ofSeconds(30))
                    .GET().build(), HttpResponse.BodyHandlers.ofFile(dir.resolve("next.backup")));
            status = next.statusCode();
            assertThat(System.nanoTime()).as("a backup is served again once the stalled client is gone").isLessThan(deadline);
        } while (status == 429 && sleep(100));
        assertThat(status).isEqualTo(200);
    }

    private void awaitStale(URI node, String key, String value) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!value.equals(http.get(node, key, "consistency=stale").body())) {
            assertThat(System.nanoTime()).as("%s applied %s=%s", node, key, value).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Waits until {@code node} answers a write with 503 no-leader (it may redirect to the dead leader for a while). */
    private void awaitNoLeader(URI node) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpRequest.Builder write = HttpRequest.newBuilder(KvHttp.uri(node, "lost")).PUT(HttpRequest.BodyPublishers.ofString("x"));
        HttpResponse<String> r;
        while ((r = http.send(write, false)).statusCode() != 503 || !r.body().contains("no-leader")) {
            assertThat(System.nanoTime()).as("%s finds no majority to elect a leader", node).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
