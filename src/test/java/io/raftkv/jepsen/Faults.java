package io.raftkv.jepsen;

import io.raftkv.cluster.ClusterUnderTest;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A {@link Schedule}'s nemesis actions played against a cluster on a run's clock, with an
 * {@link ElectionMonitor} beside them, for the coordination checks (which bring their own load).
 * {@link #healAndAwait} ends every fault and waits for the cluster to serve again.
 */
final class Faults implements AutoCloseable {
    private final ClusterUnderTest cluster;
    private final Nemesis nemesis;
    private final ElectionMonitor monitor;
    private final Thread thread;
    private volatile Throwable trouble;

    Faults(ClusterUnderTest cluster, Schedule schedule, History clock, long seed) {
        this.cluster = cluster;
        this.nemesis = new Nemesis(cluster, clock::now, new Random(seed));
        this.monitor = new ElectionMonitor(nodes(cluster), clock, Duration.ofMillis(100));
        this.thread = new Thread(() -> {
            try {
                for (Schedule.Step s : schedule.steps()) {
                    CoordHttp.sleep((schedule.offset(s).toNanos() - clock.now()) / 1_000_000);
                    nemesis.perform(s.action());
                }
            } catch (Throwable e) {
                trouble = e;
            }
        }, "coordination-nemesis");
        thread.setDaemon(true);
        thread.start();
    }

    static Map<String, URI> nodes(ClusterUnderTest cluster) {
        Map<String, URI> nodes = new LinkedHashMap<>();
        cluster.nodes().forEach(n -> nodes.put(n, cluster.clientUrl(n)));
        return nodes;
    }

    /** Waits for the schedule's last step, heals everything and waits until every node is ready. */
    void healAndAwait() {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        nemesis.healAll();
        if (trouble != null) {
            throw new IllegalStateException("the nemesis failed", trouble);
        }
        cluster.awaitLeader(Duration.ofSeconds(60));
        cluster.awaitReady(Duration.ofSeconds(120));
    }

    List<Nemesis.Window> elections() {
        return monitor.elections();
    }

    List<String> events() {
        return nemesis.events();
    }

    @Override
    public void close() {
        monitor.close();
    }
}
