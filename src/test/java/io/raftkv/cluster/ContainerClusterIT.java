package io.raftkv.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The cluster as Kubernetes runs it (the image, StatefulSet names, headless-Service DNS, one volume
 * per node), hurt the ways a cluster gets hurt: a crashed leader, a frozen follower, a leader cut
 * off from the network, a full restart. One cluster serves all scenarios in order; after each one
 * the network is healed and every node is running and ready again, so a failed scenario does not
 * take the next ones with it. Every write a scenario saw acknowledged is remembered and must still
 * read back at the end, after the full restart.
 */
@RequiresDocker
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerClusterIT {
    private static final HttpClient DIRECT = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofMillis(500)).build();

    private static ContainerCluster cluster;
    /** Every write acknowledged with a 2xx so far, key → value; none may ever be lost. */
    private static final Map<String, String> acknowledged = new ConcurrentHashMap<>();

    @BeforeAll
    static void startCluster() {
        long t0 = System.nanoTime();
        cluster = ContainerCluster.start(3);
        report("image + cluster start", t0);
    }

    @AfterAll
    static void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Undoes whatever the scenario left: partitions, frozen or stopped nodes. */
    @AfterEach
    void restore() {
        if (cluster == null) {
            return;
        }
        if (cluster.supportsNetworkFaults()) {
            cluster.heal();
        }
        for (String n : cluster.nodes()) {
            if (cluster.isPaused(n)) {
                cluster.resume(n);
            } else if (!cluster.isRunning(n)) {
                cluster.start(n);
            }
        }
        cluster.awaitReady(Duration.ofSeconds(90));
    }

    @Test
    @Order(1)
    void writesThroughEveryNodeFollowingRedirectsToTheLeader() throws Exception {
        long t0 = System.nanoTime();
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        URI leaderUrl = cluster.clientUrl(leader);
        for (String node : cluster.nodes()) {
            String key = "every-node/" + node;
            HttpResponse<String> r = Redirects.send(DIRECT, put(cluster.clientUrl(node), key, "via " + node, null).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("PUT %s through %s: %s", key, node, r.body()).isEqualTo(201);
            acknowledged.put(key, "via " + node);
            if (node.equals(leader)) {
                assertThat(r.previousResponse()).as("the leader %s answers itself", node).isEmpty();
            } else {
                // The follower's 307 names the leader's advertised address, which this host can reach.
                HttpResponse<String> redirect = r.previousResponse().orElseThrow(
                        () -> new AssertionError("follower " + node + " answered a write without redirecting it"));
                assertThat(redirect.statusCode()).isEqualTo(307);
                assertThat(redirect.headers().firstValue("Location")).contains(leaderUrl + "/kv/" + key);
                assertThat(redirect.headers().firstValue("X-Raftkv-Leader")).contains(leader);
                assertThat(r.uri().getHost()).isEqualTo(leaderUrl.getHost());
            }
        }
        // Linearizable reads through every node (followers redirect these too) see every write.
        for (String via : cluster.nodes()) {
            for (String node : cluster.nodes()) {
                assertThat(get(cluster.clientUrl(via), "every-node/" + node)).as("read through %s", via).contains("via " + node);
            }
        }
        report("write through every node", t0);
    }

    @Test
    @Order(2)
    void killedLeaderIsReplacedWithinTwoSecondsAndNoAcknowledgedWriteIsLost() throws Exception {
        long t0 = System.nanoTime();
        String old = cluster.awaitLeader(Duration.ofSeconds(10));
        try (Writer writer = new Writer("kill/")) {
            writer.awaitAcknowledged(20, Duration.ofSeconds(20));

            long killed = System.nanoTime();
            cluster.kill(old);
            long killCall = System.nanoTime() - killed;
            String successor = null;
            while (System.nanoTime() - killed < Duration.ofSeconds(2).toNanos()) {
                Optional<String> l = cluster.leader();
                if (l.isPresent()) {
                    successor = l.get();
                    break;
                }
                Thread.sleep(10);
            }
            long failover = System.nanoTime() - killed;
            assertThat(successor).as("a new leader within 2 s of killing %s (docker kill took %d ms)\n%s",
                    old, killCall / 1_000_000, successor == null ? cluster.describe() : "").isNotNull();
            assertThat(successor).isNotEqualTo(old);
            ContainerCluster.say("killed leader %s: %s leads %d ms later (docker kill itself took %d ms)",
                    old, successor, failover / 1_000_000, killCall / 1_000_000);

            // The survivors keep taking writes.
            writer.awaitAcknowledged(writer.acknowledged() + 20, Duration.ofSeconds(20));
        }
        // Every write acknowledged before, during and after the crash reads back from the new leader.
        assertAllAcknowledgedReadable("kill/");

        // The killed node comes back on its volume and catches up with what it missed.
        cluster.start(old);
        cluster.awaitReady(Duration.ofSeconds(90));
        String last = lastAcknowledged("kill/");
        awaitStaleRead(old, last, acknowledged.get(last), Duration.ofSeconds(20));
        report("kill the leader", t0);
    }

    @Test
    @Order(3)
    void pausedFollowerDoesNotStopTheClusterAndCatchesUpWhenResumed() throws Exception {
        long t0 = System.nanoTime();
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        String frozen = cluster.nodes().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
        String other = cluster.nodes().stream().filter(n -> !n.equals(leader) && !n.equals(frozen)).findFirst().orElseThrow();

        cluster.pause(frozen);
        // Leader and the other follower are a majority: writes keep committing while it is frozen.
        long pausedAt = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            putAcknowledged(cluster.clientUrl(other), "pause/" + i, "v" + i, Duration.ofSeconds(5));
        }
        assertThat(get(cluster.clientUrl(other), "pause/19")).contains("v19");
        ContainerCluster.say("%s paused: 20 writes through %s took %d ms (leader before %s, now %s)", frozen, other,
                (System.nanoTime() - pausedAt) / 1_000_000, leader, cluster.leader().orElse("unknown"));

        long resumed = System.nanoTime();
        cluster.resume(frozen);
        awaitStaleRead(frozen, "pause/19", "v19", Duration.ofSeconds(10));
        ContainerCluster.say("resumed %s: it served the last write locally %d ms later", frozen, (System.nanoTime() - resumed) / 1_000_000);
        cluster.awaitReady(List.of(frozen), Duration.ofSeconds(10));
        assertAllAcknowledgedReadable("pause/");
        report("pause a follower", t0);
    }

    @Test
    @Order(4)
    void leaderCutOffFromTheOthersCannotCommitAndCatchesUpAfterReconnecting() throws Exception {
        DockerRequirement.assume(cluster.supportsNetworkFaults(), "network faults are unavailable: " + cluster.networkFaultsProblem());
        long t0 = System.nanoTime();
        String old = cluster.awaitLeader(Duration.ofSeconds(10));
        List<String> majority = cluster.nodes().stream().filter(n -> !n.equals(old)).toList();
        putAcknowledged(cluster.clientUrl(old), "partition/k", "before", Duration.ofSeconds(10));
        awaitStaleRead(old, "partition/k", "before", Duration.ofSeconds(5));

        long cut = System.nanoTime();
        cluster.isolate(old);
        // A write sent to the old leader straight away reaches it while it may still think it leads.
        CompletableFuture<HttpResponse<String>> early = DIRECT.sendAsync(put(cluster.clientUrl(old), "partition/never", "lost", null)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        String successor = cluster.awaitLeader(Duration.ofSeconds(10));
        long elected = System.nanoTime() - cut;
        assertThat(successor).isIn(majority);
        ContainerCluster.say("isolated leader %s: the majority elected %s %d ms later", old, successor, elected / 1_000_000);

        // The majority keeps writing, through either of its nodes.
        for (int i = 0; i < 10; i++) {
            putAcknowledged(cluster.clientUrl(majority.get(i % 2)), "partition/during/" + i, "d" + i, Duration.ofSeconds(5));
        }
        putAcknowledged(cluster.clientUrl(majority.get(0)), "partition/k", "after", Duration.ofSeconds(5));

        // The old leader cannot commit: writes sent to it directly, the one sent at once and one sent now
        // that the majority has moved on, are refused or redirected, never acknowledged.
        HttpResponse<String> first = early.get(25, TimeUnit.SECONDS);
        assertThat(first.statusCode()).as("the write sent to %s as it was cut off: %s", old, first.body()).isIn(503, 307);
        long asked = System.nanoTime();
        HttpResponse<String> later = DIRECT.send(put(cluster.clientUrl(old), "partition/never-later", "lost", null)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(later.statusCode()).as("a write to the cut-off %s: %s", old, later.body()).isIn(503, 307);
        ContainerCluster.say("the cut-off %s answered writes with %d (%s) and, %d ms after a later one, %d (%s)", old,
                first.statusCode(), problemType(first), (System.nanoTime() - asked) / 1_000_000, later.statusCode(), problemType(later));
        // ... and it cannot have seen what the majority wrote.
        assertThat(staleRead(old, "partition/k")).contains("before");

        long healed = System.nanoTime();
        cluster.heal();
        // Reconnected, the old leader follows the majority's leader and catches up.
        awaitStaleRead(old, "partition/k", "after", Duration.ofSeconds(20));
        awaitCondition(Duration.ofSeconds(10), () -> {
            String[] v = cluster.views().get(old);
            String now = cluster.leader().orElse(null);
            return v != null && !v[1].equals("leader") && now != null && now.equals(v[2]);
        }, () -> old + " did not follow the leader after the partition healed\n" + cluster.describe());
        ContainerCluster.say("after healing, %s followed %s and had caught up within %d ms", old,
                cluster.leader().orElse("?"), (System.nanoTime() - healed) / 1_000_000);
        // The writes the old leader was sent while cut off were never committed, on any node.
        for (String key : List.of("partition/never", "partition/never-later")) {
            assertThat(get(cluster.clientUrl(successor), key)).as(key).isEmpty();
            for (String n : cluster.nodes()) {
                assertThat(staleRead(n, key)).as("%s on %s", key, n).isEmpty();
            }
        }
        assertAllAcknowledgedReadable("partition/");
        report("isolate the leader", t0);
    }

    @Test
    @Order(5)
    void restartingEveryContainerKeepsTheData() throws Exception {
        long t0 = System.nanoTime();
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        for (int i = 0; i < 20; i++) {
            putAcknowledged(cluster.clientUrl(leader), "restart/" + i, "r" + i, Duration.ofSeconds(5));
        }

        // docker stop on every container at once (SIGTERM, then the grace period), like a full restart.
        long stopping0 = System.nanoTime();
        List<CompletableFuture<Void>> stopping = cluster.nodes().stream()
                .map(n -> CompletableFuture.runAsync(() -> cluster.stop(n))).toList();
        stopping.forEach(CompletableFuture::join);
        long stopped = System.nanoTime();
        for (String n : cluster.nodes()) {
            assertThat(cluster.isRunning(n)).isFalse();
            OptionalLong exit = cluster.exitCode(n);
            assertThat(exit).as("%s has exited", n).isPresent();
            ContainerCluster.say("%s exited with %d", n, exit.getAsLong());
            assertThat(exit.getAsLong()).as("%s's exit code: it must shut down on SIGTERM within the grace period, not be killed", n)
                    .isNotEqualTo(137);
        }
        for (String n : cluster.nodes()) {
            cluster.start(n);
        }
        cluster.awaitReady(Duration.ofSeconds(90));
        String after = cluster.awaitLeader(Duration.ofSeconds(10));
        ContainerCluster.say("stopped all nodes in %d ms; restarted, ready and led by %s %d ms later",
                (stopped - stopping0) / 1_000_000, after, (System.nanoTime() - stopped) / 1_000_000);

        // Every write acknowledged by any scenario so far survived on the volumes.
        assertAllAcknowledgedReadable("");
        putAcknowledged(cluster.clientUrl(after), "restart/after", "ok", Duration.ofSeconds(5));
        report("restart all containers", t0);
    }

    // ---------------------------------------------------------------- helpers

    private static HttpRequest.Builder put(URI node, String key, String value, String idempotencyKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve("/kv/" + key)).timeout(Duration.ofSeconds(10))
                .PUT(HttpRequest.BodyPublishers.ofString(value));
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return b;
    }

    /** Writes through {@code node} (following redirects), retrying 503s and lost connections with the same Idempotency-Key. */
    private static void putAcknowledged(URI node, String key, String value, Duration within) throws InterruptedException {
        String idem = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + within.toNanos();
        String last = "nothing";
        do {
            try {
                HttpResponse<String> r = Redirects.send(DIRECT, put(node, key, value, idem).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 == 2) {
                    acknowledged.put(key, value);
                    return;
                }
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() != 503) {
                    break;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        fail("PUT %s through %s was not acknowledged within %s; last answer: %s\n%s", key, node, within, last, cluster.describe());
    }

    /** A linearizable read through {@code node} (following redirects): the value, or empty for 404. */
    private static Optional<String> get(URI node, String key) throws IOException, InterruptedException {
        HttpResponse<String> r = Redirects.send(DIRECT, HttpRequest.newBuilder(node.resolve("/kv/" + key)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        assertThat(r.statusCode()).as("GET %s through %s: %s", key, node, r.body()).isEqualTo(200);
        return Optional.of(r.body());
    }

    /** What {@code node} itself has applied for {@code key} ({@code ?consistency=stale}, no redirect). */
    private static Optional<String> staleRead(String node, String key) throws IOException, InterruptedException {
        HttpResponse<String> r = DIRECT.send(HttpRequest.newBuilder(cluster.clientUrl(node).resolve("/kv/" + key + "?consistency=stale"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        assertThat(r.statusCode()).as("stale GET %s on %s: %s", key, node, r.body()).isEqualTo(200);
        return Optional.of(r.body());
    }

    private static void awaitStaleRead(String node, String key, String value, Duration within) {
        awaitCondition(within, () -> {
            try {
                return staleRead(node, key).filter(value::equals).isPresent();
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, () -> node + " did not apply " + key + "=" + value + " within " + within + "\n" + cluster.describe());
    }

    private static void awaitCondition(Duration within, Supplier<Boolean> condition, Supplier<String> failure) {
        long deadline = System.nanoTime() + within.toNanos();
        do {
            if (condition.get()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        } while (System.nanoTime() < deadline);
        fail(failure.get());
    }

    /** Reads every acknowledged key under {@code prefix} back through the current leader. */
    private static void assertAllAcknowledgedReadable(String prefix) throws IOException, InterruptedException {
        URI leader = cluster.clientUrl(cluster.awaitLeader(Duration.ofSeconds(10)));
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, String> e : Map.copyOf(acknowledged).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                continue;
            }
            checked++;
            Optional<String> v = get(leader, e.getKey());
            if (!v.equals(Optional.of(e.getValue()))) {
                wrong.add(e.getKey() + " = " + v.orElse("(missing)") + ", acknowledged " + e.getValue());
            }
        }
        assertThat(wrong).as("acknowledged writes under '%s' that do not read back (%d checked)", prefix, checked).isEmpty();
        assertThat(checked).isPositive();
    }

    private static String lastAcknowledged(String prefix) {
        return acknowledged.keySet().stream().filter(k -> k.startsWith(prefix))
                .max((a, b) -> Integer.compare(Integer.parseInt(a.substring(prefix.length())), Integer.parseInt(b.substring(prefix.length()))))
                .orElseThrow();
    }

    private static String problemType(HttpResponse<String> r) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"type\":\"[^\"]*/([^\"/]+)\"").matcher(r.body());
        return m.find() ? m.group(1) : r.headers().firstValue("Location").orElse("-");
    }

    private static void report(String what, long since) {
        ContainerCluster.say("scenario '%s' took %d ms", what, (System.nanoTime() - since) / 1_000_000);
    }

    /**
     * Writes {@code prefix<i>} = {@code w<i>} one after another through the running nodes in turn
     * (following redirects), as a client would during a failure: a write that fails or times out is
     * not retried (its outcome is unknown), one that gets a 2xx is recorded as acknowledged.
     */
    private static final class Writer implements AutoCloseable {
        private final String prefix;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger acked = new AtomicInteger();
        private final Thread thread;

        Writer(String prefix) {
            this.prefix = prefix;
            this.thread = new Thread(this::run, "writer-" + prefix);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            for (int i = 0; running.get(); i++) {
                List<String> up = cluster.nodes().stream().filter(n -> cluster.isRunning(n) && !cluster.isPaused(n)).toList();
                if (up.isEmpty()) {
                    continue;
                }
                String key = prefix + i;
                String value = "w" + i;
                try {
                    HttpResponse<String> r = Redirects.send(DIRECT, put(cluster.clientUrl(up.get(i % up.size())), key, value, null)
                            .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() / 100 == 2) {
                        acknowledged.put(key, value);
                        acked.incrementAndGet();
                    }
                } catch (IOException e) {
                    // outcome unknown: not acknowledged, so nothing is claimed about it
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        int acknowledged() {
            return acked.get();
        }

        void awaitAcknowledged(int n, Duration within) {
            awaitCondition(within, () -> acked.get() >= n,
                    () -> "only " + acked.get() + " of " + n + " writes acknowledged within " + within + "\n" + cluster.describe());
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }
}
