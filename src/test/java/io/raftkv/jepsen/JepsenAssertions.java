package io.raftkv.jepsen;

import io.raftkv.cluster.ClusterUnderTest;
import org.assertj.core.api.SoftAssertions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The criteria, as assertions on one run; the report directory is named in every message. */
final class JepsenAssertions {
    private JepsenAssertions() {
    }

    static void runAndCheck(ClusterUnderTest cluster, Schedule schedule) throws IOException {
        cluster.awaitLeader(java.time.Duration.ofSeconds(60));
        cluster.awaitReady(java.time.Duration.ofSeconds(120));
        JepsenRun.Result r = JepsenRun.run(cluster, schedule, JepsenRun.Settings.defaults());
        Path dir = Report.write(r);
        if (!passes(r)) {
            for (String n : cluster.nodes()) {
                Files.writeString(dir.resolve(n + ".log"), cluster.logs(n));
            }
        }
        assertAll(r, dir);
    }

    private static boolean passes(JepsenRun.Result r) {
        return r.linearizability().linearizable() && r.lostWrites().isEmpty() && r.duplicateApplications().isEmpty()
                && r.unexpectedAnswers().isEmpty() && r.failureRate() <= r.schedule().failureBudget()
                && r.inconclusiveReplays() == 0
                && (r.schedule().maxWriteGap() == null || r.longestWriteGap().seconds() <= r.schedule().maxWriteGap().toNanos() / 1e9);
    }

    static void assertAll(JepsenRun.Result r, Path dir) {
        String where = " (report: " + dir.toAbsolutePath() + "/summary.md)";
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(r.linearizability().linearizable())
                .as("the history is linearizable; counterexample on key %s%s", r.linearizability().key(), where).isTrue();
        soft.assertThat(r.lostWrites()).as("every write acknowledged before the end is readable at the end" + where).isEmpty();
        soft.assertThat(r.duplicateApplications()).as("no write applies twice when retried with an Idempotency-Key" + where).isEmpty();
        soft.assertThat(r.inconclusiveReplays()).as("every re-sent write is answered once the cluster is healed" + where).isZero();
        soft.assertThat(r.unexpectedAnswers())
                .as("clients see no 5xx but a 503 during an election or a partition" + where).isEmpty();
        soft.assertThat(r.failureRate())
                .as("failed operations (%d of %d) within the budget of %.0f%%%s", r.failures(), r.clientOps().size(),
                        r.schedule().failureBudget() * 100, where)
                .isLessThanOrEqualTo(r.schedule().failureBudget());
        soft.assertThat(r.clientOps().size()).as("the clients did some work" + where).isGreaterThan(50);
        if (r.schedule().maxWriteGap() != null) {
            Analysis.Gap gap = r.longestWriteGap();
            soft.assertThat(gap.seconds()).as("the longest time without a successful write (%.2f s .. %.2f s) within %s%s",
                    gap.start() / 1e9, gap.end() / 1e9, r.schedule().maxWriteGap(), where)
                    .isLessThanOrEqualTo(r.schedule().maxWriteGap().toNanos() / 1e9);
        }
        soft.assertAll();
    }
}
