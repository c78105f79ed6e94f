package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node whose data directory was lost restarts empty with the same name: it must not take part as
 * the member it was, or it can help elect a leader that never had an acknowledged write (issue 12's
 * reproduction, which read the write back as 404).
 */
class LostDiskIT {
    private final KvHttp http = new KvHttp();

    @Test
    void anEmptyDirectoryUnderAnOldNameNeverHelpsLoseAnAcknowledgedWrite(@TempDir Path dir) throws IOException {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir)) {
            String leader = c.awaitLeader(Duration.ofSeconds(60));
            c.awaitReady(Duration.ofSeconds(30));
            List<String> followers = c.nodes().stream().filter(n -> !n.equals(leader)).toList();
            String behind = followers.get(0);
            String lost = followers.get(1);

            // The write is acknowledged by the leader and `lost`, while `behind` hears nothing.
            c.pause(behind);
            HttpResponse<String> put = http.put(c.clientUrl(leader), "lost-disk/acked", "kept");
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);

            // `lost` loses its data directory, then the leader crashes; `behind` comes back.
            c.kill(lost);
            FileSystemUtils.deleteRecursively(c.dataDir(lost));
            c.kill(leader);
            c.resume(behind);
            c.start(lost);

            // `behind` heard from `lost` before, so the empty `lost` stays out: no majority, no leader.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!c.logs(lost).contains("stays out of the cluster")) {
                assertThat(System.nanoTime()).as("the new directory is recognised:\n" + c.logs(lost)).isLessThan(deadline);
                sleep(100);
            }
            // `behind` may still point at the dead leader for a moment after its pause; then it has none.
            HttpResponse<String> refused = http.put(c.clientUrl(behind), "lost-disk/after", "x");
            while (refused.statusCode() != 503) {
                assertThat(refused.statusCode()).as("never accepted without the old leader: " + refused.body()).isGreaterThanOrEqualTo(300);
                assertThat(System.nanoTime()).as("`behind` knows it has no leader").isLessThan(deadline);
                sleep(100);
                refused = http.put(c.clientUrl(behind), "lost-disk/after", "x");
            }
            assertThat(c.leader()).isEmpty();

            // Once the old leader is back, the acknowledged write is there (the empty node still stays out).
            c.start(leader);
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            HttpResponse<String> read = http.get(c.clientUrl(behind), "lost-disk/acked");
            while (read.statusCode() == 503 || read.statusCode() == 307) {
                assertThat(System.nanoTime()).as("a leader is elected again: " + read.body()).isLessThan(deadline);
                sleep(100);
                read = http.get(c.clientUrl(behind), "lost-disk/acked");
            }
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).isEqualTo("kept");
            assertThat(c.logs(lost)).contains("heard from member " + lost);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
