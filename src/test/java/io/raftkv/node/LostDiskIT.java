package io.raftkv.node;

import io.raftkv.cluster.LocalProcessCluster;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node whose data directory was lost restarts empty with the same name: it must not take part as
 * the member it was, or it can help elect a leader that never had an acknowledged write (issue 12's
 * reproduction, which read the write back as 404). It joins as a new member instead, and replacing
 * the old member id with it brings the cluster back to three voters.
 */
class LostDiskIT {
    private final KvHttp http = new KvHttp();

    /**
     * Issue 12's sequence, up to the moment the empty node has joined under a new member id; returns
     * the name of the node whose directory was lost.
     */
    private String loseADiskWhileTheLeaderCrashes(LocalProcessCluster c) throws IOException {
        {
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

            // If `behind` ever heard from `lost` (say, in an election), the empty `lost` learns so at once and
            // joins under a new member id. Otherwise only the dead leader did (followers talk to the leader
            // alone), and `lost` waits for it before taking part. Either way: no majority, no leader.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!c.logs(lost).contains("waiting for [" + leader + "] to answer") && !joined(c, lost)) {
                assertThat(System.nanoTime()).as("the new directory waits or joins:\n" + c.logs(lost)).isLessThan(deadline);
                MembersApi.sleep(100);
            }
            // `behind` may still point at the dead leader for a moment after its pause; then it has none.
            HttpResponse<String> refused = http.put(c.clientUrl(behind), "lost-disk/after", "x");
            while (refused.statusCode() != 503) {
                assertThat(refused.statusCode()).as("never accepted without the old leader: " + refused.body()).isGreaterThanOrEqualTo(300);
                assertThat(System.nanoTime()).as("`behind` knows it has no leader").isLessThan(deadline);
                MembersApi.sleep(100);
                refused = http.put(c.clientUrl(behind), "lost-disk/after", "x");
            }
            assertThat(c.leader()).isEmpty();

            // Once the old leader is back, the acknowledged write is there (the empty node still stays out).
            c.start(leader);
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            HttpResponse<String> read = http.get(c.clientUrl(behind), "lost-disk/acked");
            while (read.statusCode() == 503 || read.statusCode() == 307) {
                assertThat(System.nanoTime()).as("a leader is elected again: " + read.body()).isLessThan(deadline);
                MembersApi.sleep(100);
                read = http.get(c.clientUrl(behind), "lost-disk/acked");
            }
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).isEqualTo("kept");
            if (!joined(c, lost)) {
                deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!c.logs(lost).contains("stays out of the cluster")) {
                    assertThat(System.nanoTime()).as("the old leader says it heard from " + lost).isLessThan(deadline);
                    MembersApi.sleep(100);
                }
                // Restarted (as a supervisor would), it empties the directory that never took part and joins anew.
                c.stop(lost);
                c.start(lost);
                deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!joined(c, lost)) {
                    assertThat(System.nanoTime()).as("it joins as a new member:\n" + c.logs(lost)).isLessThan(deadline);
                    MembersApi.sleep(100);
                }
            }
            assertThat(c.logs(lost)).contains("has heard from " + lost + " before");
            return lost;
        }
    }

    @Test
    void anEmptyDirectoryUnderAnOldNameNeverHelpsLoseAnAcknowledgedWrite(@TempDir Path dir) throws IOException {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, "--raftkv.autopilot.enabled=false")) {
            String lost = loseADiskWhileTheLeaderCrashes(c);
            // The leader adds the new member as a learner; replacing the old id with it restores three voters.
            String leaderNow = c.awaitLeader(Duration.ofSeconds(30));
            URI admin = c.clientUrl(Peer.nameOf(leaderNow));
            String newId = MembersApi.await(admin, lost, "learner");
            assertThat(newId).startsWith(lost + "~");
            HttpResponse<String> removed = MembersApi.send(admin, "DELETE", "/cluster/members/" + lost);
            assertThat(removed.statusCode()).as(removed.body()).isEqualTo(204);
            HttpResponse<String> promoted = MembersApi.send(admin, "POST", "/cluster/members/" + newId + "/promote");
            long promoteBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (promoted.statusCode() == 409) { // the removal may not have committed yet, or the learner not caught up
                assertThat(System.nanoTime()).as(promoted.body()).isLessThan(promoteBy);
                MembersApi.sleep(100);
                promoted = MembersApi.send(admin, "POST", "/cluster/members/" + newId + "/promote");
            }
            assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
            String members = MembersApi.send(admin, "GET", "/cluster/members").body();
            assertThat(members).contains("\"" + newId + "\"").doesNotContain("\"id\":\"" + lost + "\"")
                    .contains("\"failureTolerance\":");
            HttpResponse<String> after = http.put(c.clientUrl(lost), "lost-disk/after-rejoin", "y");
            assertThat(after.statusCode()).as(after.body() + "\n" + c.logs(lost) + "\n" + c.logs(Peer.nameOf(leaderNow))).isEqualTo(201);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!"kept".equals(http.get(c.clientUrl(lost), "lost-disk/acked", "consistency=stale").body())) {
                assertThat(System.nanoTime()).as("the new member catches up").isLessThan(deadline);
                MembersApi.sleep(100);
            }
        }
    }


    @Test
    void theAutopilotReplacesTheLostMemberWithItsNewSelf(@TempDir Path dir) throws IOException {
        try (LocalProcessCluster c = new LocalProcessCluster(3, dir, "--raftkv.autopilot.interval=500ms",
                "--raftkv.autopilot.stable-for=1s")) {
            String lost = loseADiskWhileTheLeaderCrashes(c);
            String leaderNow = c.awaitLeader(Duration.ofSeconds(30));
            URI admin = c.clientUrl(Peer.nameOf(leaderNow));
            Pattern voter = Pattern.compile("\"id\":\"(" + Pattern.quote(lost) + "~[0-9a-f]+)\",\"name\":\"[^\"]*\",\"role\":\"voter\"");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String members = MembersApi.send(admin, "GET", "/cluster/members").body();
            while (!voter.matcher(members).find() || members.contains("\"id\":\"" + lost + "\"")) {
                assertThat(System.nanoTime()).as("the autopilot removes " + lost + " and promotes its new self: " + members)
                        .isLessThan(deadline);
                MembersApi.sleep(200);
                members = MembersApi.send(admin, "GET", "/cluster/members").body();
            }
            assertThat(members).contains("\"failureTolerance\":1");
            HttpResponse<String> after = http.put(c.clientUrl(lost), "lost-disk/after-autopilot", "z");
            assertThat(after.statusCode()).as(after.body()).isEqualTo(201);
            assertThat(http.get(c.clientUrl(lost), "lost-disk/acked").body()).isEqualTo("kept");
        }
    }

    private static boolean joined(LocalProcessCluster c, String node) {
        return c.logs(node).contains("joining it as the new member");
    }

}
