package io.raftkv.jepsen;

import io.raftkv.check.KvOp;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The run's checks besides linearizability, on made-up histories. */
class AnalysisTest {
    private static final long S = 1_000_000_000L;
    private static final int FINAL = JepsenRun.FINAL_READER;

    private static Op op(int client, KvOp.Kind kind, String value, String expected, boolean swapped, long start, long end,
                         KvOp.Outcome outcome, int status, long rev, Op.Attempt... attempts) {
        return new Op(client, 1, kind, "k", value, expected, swapped, start, end, outcome, status, rev, "idem", List.of(attempts), null);
    }

    private static Op put(String v, long start, long end, KvOp.Outcome o, long rev, Op.Attempt... attempts) {
        return op(1, KvOp.Kind.PUT, v, null, true, start, end, o, o == KvOp.Outcome.OK ? 201 : 0, rev, attempts);
    }

    private static Op finalRead(String v, long rev) {
        return op(FINAL, KvOp.Kind.GET, v, null, true, 100 * S, 101 * S, KvOp.Outcome.OK, v == null ? 404 : 200, rev);
    }

    @Test
    void finalValueMustComeFromAWriteThatCouldBeLast() {
        Op a = put("a", 0, S, KvOp.Outcome.OK, 2);
        Op b = put("b", 2 * S, 3 * S, KvOp.Outcome.OK, 3);
        assertThat(Analysis.lostWrites(List.of(a, b, finalRead("b", 3)), FINAL)).isEmpty();
        // b was acknowledged after a ended: reading a at the end means b was lost.
        assertThat(Analysis.lostWrites(List.of(a, b, finalRead("a", 2)), FINAL)).singleElement().asString().contains("last acknowledged");
        assertThat(Analysis.lostWrites(List.of(a, b, finalRead(null, 0)), FINAL)).hasSize(1);
    }

    @Test
    void concurrentOrUnknownWritesMayEachBeLast() {
        Op a = put("a", 0, 5 * S, KvOp.Outcome.OK, 3);
        Op b = put("b", 1 * S, 2 * S, KvOp.Outcome.OK, 2);
        Op c = put("c", 6 * S, 7 * S, KvOp.Outcome.UNKNOWN, 0);
        for (String v : new String[] {"a", "b", "c"}) {
            assertThat(Analysis.lostWrites(List.of(a, b, c, finalRead(v, 9)), FINAL)).as(v).isEmpty();
        }
        Op failed = put("d", 8 * S, 9 * S, KvOp.Outcome.FAILED, 0);
        assertThat(Analysis.lostWrites(List.of(a, b, failed, finalRead("d", 9)), FINAL)).hasSize(1);
    }

    @Test
    void anAcknowledgedDeleteMakesAbsentTheExpectedEnd() {
        Op a = put("a", 0, S, KvOp.Outcome.OK, 2);
        Op del = op(1, KvOp.Kind.DELETE, null, null, true, 2 * S, 3 * S, KvOp.Outcome.OK, 204, 4);
        assertThat(Analysis.lostWrites(List.of(a, del, finalRead(null, 0)), FINAL)).isEmpty();
        assertThat(Analysis.lostWrites(List.of(a, del, finalRead("a", 2)), FINAL)).hasSize(1);
        assertThat(Analysis.lostWrites(List.of(finalRead(null, 0)), FINAL)).isEmpty();
    }

    @Test
    void aValueAtTwoRevisionsWasAppliedTwice() {
        Op w = put("a", 0, S, KvOp.Outcome.OK, 2);
        Op r1 = op(2, KvOp.Kind.GET, "a", null, true, 2 * S, 3 * S, KvOp.Outcome.OK, 200, 2);
        Op r2 = op(2, KvOp.Kind.GET, "a", null, true, 4 * S, 5 * S, KvOp.Outcome.OK, 200, 7);
        assertThat(Analysis.valuesAtTwoRevisions(List.of(w, r1))).isEmpty();
        assertThat(Analysis.valuesAtTwoRevisions(List.of(w, r1, r2))).singleElement().asString().contains("applied twice");
    }

    @Test
    void aReplayMustBeAnsweredLikeTheOriginal() {
        Op w = put("a", 0, S, KvOp.Outcome.OK, 2);
        Op same = put("a", 5 * S, 6 * S, KvOp.Outcome.OK, 2);
        Op other = put("a", 5 * S, 6 * S, KvOp.Outcome.OK, 9);
        Op noAnswer = put("a", 5 * S, 6 * S, KvOp.Outcome.UNKNOWN, 0);
        assertThat(Analysis.replayMismatches(List.of(new Analysis.Replay(w, same), new Analysis.Replay(w, noAnswer)))).isEmpty();
        assertThat(Analysis.replayMismatches(List.of(new Analysis.Replay(w, other)))).hasSize(1);
    }

    @Test
    void only503sOfElectionsAndPartitionsAreExpected() {
        Nemesis.Window kill = new Nemesis.Window("kill n1", "kill", 10 * S, 12 * S);
        Nemesis.Window election = new Nemesis.Window("election: term 2 -> 3 at n2", "election", 10 * S, 11 * S);
        Nemesis.Window partition = new Nemesis.Window("partition n1 | n2", "partition", 40 * S, 45 * S);
        Op during = put("a", 11 * S, 12 * S, KvOp.Outcome.OK, 2, new Op.Attempt(11 * S, 11 * S, "n1", 503, "no-leader"));
        Op caught = put("b", 9 * S, 12 * S, KvOp.Outcome.OK, 3, new Op.Attempt(9 * S, 12 * S, "n1", 503, "outcome-unknown"));
        Op afterKill = put("c", 14 * S, 15 * S, KvOp.Outcome.OK, 4, new Op.Attempt(14 * S, 14 * S, "n1", 503, "no-leader"));
        Op afterHeal = put("c", 50 * S, 51 * S, KvOp.Outcome.OK, 4, new Op.Attempt(50 * S, 50 * S, "n1", 503, "read-timeout"));
        Op calm = put("c", 60 * S, 61 * S, KvOp.Outcome.OK, 4, new Op.Attempt(60 * S, 60 * S, "n1", 503, "no-leader"));
        Op failedNode = put("d", 11 * S, 12 * S, KvOp.Outcome.OK, 5, new Op.Attempt(11 * S, 11 * S, "n1", 503, "node-failed"));
        Op fiveHundred = put("e", 11 * S, 12 * S, KvOp.Outcome.OK, 6, new Op.Attempt(11 * S, 11 * S, "n1", 500, null));
        Op reused = put("f", 11 * S, 12 * S, KvOp.Outcome.OK, 7, new Op.Attempt(11 * S, 11 * S, "n1", 422, "idempotency-key-reused"));
        List<Nemesis.Window> w = List.of(kill, election, partition);
        assertThat(Analysis.unexpectedAnswers(List.of(during, caught, afterHeal), w)).isEmpty();
        // A kill is no excuse by itself: only the election it causes is.
        assertThat(Analysis.unexpectedAnswers(List.of(afterKill), w)).singleElement().asString().contains("no election or partition");
        assertThat(Analysis.unexpectedAnswers(List.of(calm), w)).hasSize(1);
        assertThat(Analysis.unexpectedAnswers(List.of(failedNode, fiveHundred, reused), w)).hasSize(3);
    }

    @Test
    void electionsAreWhereNodesShowNoLeaderACandidateANewTermOrAStaleLeader() {
        long i = S / 5;
        List<ElectionMonitor.Sample> samples = List.of(
                new ElectionMonitor.Sample(0, "n1", "leader", "n1", 2),
                new ElectionMonitor.Sample(0, "n2", "follower", "n1", 2),
                new ElectionMonitor.Sample(i, "n1", "leader", "n1", 2),
                new ElectionMonitor.Sample(i, "n2", "follower", "n1", 2),
                new ElectionMonitor.Sample(2 * i, "n2", "pre-candidate", null, 2),
                new ElectionMonitor.Sample(3 * i, "n2", "leader", "n2", 3),
                new ElectionMonitor.Sample(3 * i, "n1", "leader", "n1", 2),
                new ElectionMonitor.Sample(10 * i, "n2", "leader", "n2", 3),
                new ElectionMonitor.Sample(20 * i, "n3", "follower", null, 3));
        List<Nemesis.Window> e = ElectionMonitor.elections(samples, i);
        assertThat(e).singleElement().satisfies(w -> {
            assertThat(w.start()).isEqualTo(i);
            assertThat(w.end()).isEqualTo(4 * i);
            assertThat(w.kind()).isEqualTo("election");
        });
    }

    @Test
    void longestGapCountsOnlyWritesThatTookEffect() {
        Op w1 = put("a", 0, 1 * S, KvOp.Outcome.OK, 2);
        Op refused = op(1, KvOp.Kind.CAS, "x", "y", false, 2 * S, 3 * S, KvOp.Outcome.OK, 412, 0);
        Op w2 = put("b", 5 * S, 6 * S, KvOp.Outcome.OK, 3);
        Op unknown = put("c", 6 * S, 7 * S, KvOp.Outcome.UNKNOWN, 0);
        Analysis.Gap g = Analysis.longestWriteGap(List.of(w1, refused, w2, unknown), 8 * S);
        assertThat(g.start()).isEqualTo(S);
        assertThat(g.end()).isEqualTo(6 * S);
        assertThat(Analysis.longestWriteGap(List.of(w1), 20 * S).seconds()).isEqualTo(19.0);
        Op read = op(2, KvOp.Kind.GET, "a", null, true, 3 * S, 4 * S, KvOp.Outcome.OK, 200, 2);
        assertThat(Analysis.longestSilence(List.of(w1, refused, read, w2, unknown), 8 * S).seconds()).isEqualTo(2.0);
    }

    @Test
    void theWriteGapAcrossAKillRunsFromTheLastWriteBeforeItToTheFirstAfter() {
        Op before = put("a", 0, 1 * S, KvOp.Outcome.OK, 2);
        Op refused = op(1, KvOp.Kind.CAS, "x", "y", false, 2 * S, 4 * S, KvOp.Outcome.OK, 412, 0);
        Op retried = put("b", 2 * S, 5 * S, KvOp.Outcome.OK, 3); // sent before the kill, done after it
        Op later = put("c", 6 * S, 7 * S, KvOp.Outcome.OK, 4);
        Analysis.Gap g = Analysis.writeGapAcross(List.of(later, refused, retried, before), 3 * S, 10 * S);
        assertThat(g.start()).isEqualTo(S);
        assertThat(g.end()).isEqualTo(5 * S);
        assertThat(Analysis.writeGapAcross(List.of(before), 3 * S, 10 * S).end()).as("none after: the load's end").isEqualTo(10 * S);
    }

    @Test
    void reportRendersSummaryJsonAndTimeline() throws Exception {
        Schedule s = new Schedule("unit", "crash", 0.5, Duration.ofSeconds(10),
                List.of(new Schedule.Step(0.2, new Nemesis.Kill(Nemesis.Target.LEADER))), false, 0.02);
        List<Op> ops = List.of(put("a", 0, S / 100, KvOp.Outcome.OK, 2), put("b", 3 * S, 5 * S, KvOp.Outcome.UNKNOWN, 0),
                op(2, KvOp.Kind.GET, null, null, true, 4 * S, 6 * S, KvOp.Outcome.FAILED, 0, 0), finalRead("a", 2));
        JepsenRun.Result r = new JepsenRun.Result(s, 1, java.time.Instant.EPOCH, ops,
                List.of(new Nemesis.Window("kill n1", "kill", 2 * S, 6 * S)),
                List.of(new Nemesis.Window("election: n2 candidate", "election", 2 * S, 3 * S)), 1,
                List.of("2.000 s kill n1"), 10 * S, S, new io.raftkv.check.LinearizabilityChecker().check(ops.stream().map(Op::toKvOp).toList()),
                1000, List.of(), List.of(), 1, 0, List.of());
        assertThat(r.failures()).isEqualTo(2);
        assertThat(Report.markdown(r)).contains("linearizable", "longest time without a successful write", "kill n1");
        assertThat(Report.markdown(r)).contains("without a successful write across kill n1 at 2.00 s: 9.99 s (0.01 s .. 10.00 s; the first 8.00 s after the kill)");
        assertThat(Report.json(r)).contains("\"failures\": 2", "\"linearizable\": true", "\"writeGapsAcrossKills\"");
        assertThat(Report.row(r)).startsWith("| unit | 50% | 3 | 2 (66.7%) | 9.99 s | 9.99 s | 1 |");
        Path png = Files.createTempDirectory("timeline").resolve("t.png");
        Timeline.write(r, png);
        assertThat(javax.imageio.ImageIO.read(png.toFile()).getWidth()).isEqualTo(1400);
    }
}
