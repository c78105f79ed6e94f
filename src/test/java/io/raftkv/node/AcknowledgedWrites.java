package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Writes distinct keys in a loop through every running node in turn, remembering each acknowledged write. */
final class AcknowledgedWrites implements AutoCloseable {
    private final KvHttp http = new KvHttp();
    final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    final AtomicInteger attempts = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    AcknowledgedWrites(LocalProcessCluster c, String prefix) {
        thread = new Thread(() -> {
            int i = 0;
            while (running.get()) {
                String key = prefix + "/" + i;
                String value = "v" + i;
                List<String> live = c.nodes().stream().filter(c::isRunning).toList();
                try {
                    HttpResponse<String> r = http.put(c.clientUrl(live.get(i % live.size())), key, value);
                    if (r.statusCode() == 201) {
                        acknowledged.put(key, value);
                    }
                } catch (RuntimeException e) {
                    // a node died under us: the write's outcome is unknown and it is not counted
                }
                attempts.incrementAndGet();
                i++;
            }
        }, "writer");
        thread.start();
    }

    void awaitMore(int n) {
        int target = acknowledged.size() + n;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (acknowledged.size() < target) {
            assertThat(System.nanoTime()).as("%d more acknowledged writes within 20 s", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(20_000);
    }
}
