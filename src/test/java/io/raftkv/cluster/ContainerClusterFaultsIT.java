package io.raftkv.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The network faults of {@link ContainerCluster} themselves, which fault-injection tests build on:
 * a partition cuts exactly the links between its two groups and nothing else, loss and delay hit
 * peer traffic only (this host's requests stay fast), and a node that restarts gets the faults in
 * force again. Checked at the network level ({@link ContainerCluster#canReach},
 * {@link ContainerCluster#connectMillis}), not through Raft's reactions, which depend on timing.
 */
@RequiresDocker
class ContainerClusterFaultsIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private static ContainerCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = ContainerCluster.start(3);
        DockerRequirement.assume(cluster.supportsNetworkFaults(), "network faults are unavailable: " + cluster.networkFaultsProblem());
    }

    @AfterAll
    static void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void restore() {
        cluster.heal();
        for (String n : cluster.nodes()) {
            if (!cluster.isRunning(n)) {
                cluster.start(n);
            }
        }
        cluster.awaitReady(Duration.ofSeconds(90));
    }

    @Test
    void aPartitionCutsExactlyTheLinksBetweenItsGroups() {
        List<String> n = cluster.nodes();
        String a = n.get(0);
        String b = n.get(1);
        String c = n.get(2);
        cluster.partition(List.of(a), List.of(b));
        assertThat(cluster.canReach(a, b)).as("%s -> %s", a, b).isFalse();
        assertThat(cluster.canReach(b, a)).as("%s -> %s", b, a).isFalse();
        for (String[] link : new String[][] {{a, c}, {c, a}, {b, c}, {c, b}}) {
            assertThat(cluster.canReach(link[0], link[1])).as("%s -> %s", link[0], link[1]).isTrue();
        }
        // This host still reaches every node, whichever side it is on.
        assertThat(cluster.views().keySet()).containsExactlyInAnyOrderElementsOf(n);

        cluster.heal();
        for (String from : n) {
            for (String to : n) {
                if (!from.equals(to)) {
                    assertThat(cluster.canReach(from, to)).as("%s -> %s after heal", from, to).isTrue();
                }
            }
        }
    }

    @Test
    void lossAndDelayHitPeerTrafficOnly() throws Exception {
        List<String> n = cluster.nodes();
        long before = cluster.connectMillis(n.get(0), n.get(1), Duration.ofSeconds(1)).orElseThrow();

        // A connection needs a SYN out and a SYN-ACK back, each delayed.
        cluster.setPacketLoss(0, Duration.ofMillis(200));
        long delayed = cluster.connectMillis(n.get(0), n.get(1), Duration.ofSeconds(5)).orElseThrow();
        long host = medianStatusMillis();
        ContainerCluster.say("peer connect: %d ms, with 200 ms delay %d ms; this host's GET /cluster meanwhile %d ms",
                before, delayed, host);
        assertThat(delayed).as("connecting with a 200 ms delay each way").isGreaterThanOrEqualTo(400);
        assertThat(host).as("this host's requests are not delayed").isLessThan(100);

        // Every peer packet lost: no link opens, yet this host still reaches every node.
        cluster.setPacketLoss(1.0, Duration.ZERO);
        for (String from : n) {
            for (String to : n) {
                if (!from.equals(to)) {
                    assertThat(cluster.canReach(from, to)).as("%s -> %s with all peer packets lost", from, to).isFalse();
                }
            }
        }
        assertThat(cluster.views().keySet()).containsExactlyInAnyOrderElementsOf(n);

        cluster.setPacketLoss(0, Duration.ZERO);
        assertThat(cluster.connectMillis(n.get(0), n.get(1), Duration.ofSeconds(1))).as("once shaping is off").isPresent();
        cluster.awaitReady(Duration.ofSeconds(30));
    }

    @Test
    void connectionResetsKillPeerConnectionsThatCarryDataAndSpareThisHost() {
        List<String> n = cluster.nodes();
        assertThat(cluster.peerAnswers(n.get(0), n.get(1), Duration.ofSeconds(5))).as("a peer answers before").isTrue();

        cluster.setConnectionResets(1.0);
        // The handshake still works (no data): the connection dies at its first request.
        assertThat(cluster.canReach(n.get(0), n.get(1))).as("connecting, with every write reset").isTrue();
        assertThat(cluster.peerAnswers(n.get(0), n.get(1), Duration.ofSeconds(5))).as("a request, with every write reset").isFalse();
        assertThat(cluster.views().keySet()).as("this host still reaches every node").containsExactlyInAnyOrderElementsOf(n);

        cluster.setConnectionResets(0);
        assertThat(cluster.peerAnswers(n.get(0), n.get(1), Duration.ofSeconds(5))).as("once resets are off").isTrue();
        cluster.awaitReady(Duration.ofSeconds(30));
    }

    @Test
    void aRestartedNodeGetsTheFaultsInForceAgain() {
        String leader = cluster.awaitLeader(Duration.ofSeconds(10));
        String node = cluster.nodes().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
        List<String> others = cluster.nodes().stream().filter(n -> !n.equals(node)).toList();
        cluster.isolate(node);
        cluster.kill(node);
        cluster.start(node);
        for (String o : others) {
            assertThat(cluster.canReach(node, o)).as("restarted %s -> %s", node, o).isFalse();
            assertThat(cluster.canReach(o, node)).as("%s -> restarted %s", o, node).isFalse();
        }
        cluster.heal();
        for (String o : others) {
            assertThat(cluster.canReach(node, o)).as("%s -> %s after heal", node, o).isTrue();
        }
        cluster.awaitReady(Duration.ofSeconds(90));
    }

    /** The median time, over every node, of this host asking it {@code GET /cluster}. */
    private static long medianStatusMillis() throws IOException, InterruptedException {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (String n : cluster.nodes()) {
                long t0 = System.nanoTime();
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(cluster.clientUrl(n).resolve("/cluster"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).isEqualTo(200);
                times.add((System.nanoTime() - t0) / 1_000_000);
            }
        }
        Collections.sort(times);
        return times.get(times.size() / 2);
    }
}
