package io.raftkv.check;

import io.raftkv.check.KvOp.Outcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.raftkv.check.KvOp.cas;
import static io.raftkv.check.KvOp.delete;
import static io.raftkv.check.KvOp.get;
import static io.raftkv.check.KvOp.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinearizabilityCheckerTest {
    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    private boolean linearizable(KvOp... ops) {
        return checker.check(List.of(ops)).linearizable();
    }

    @Test
    void sequentialHistoryThatReadsItsWritesIsLinearizable() {
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                get(2, "k", "a", 2, 3),
                put(1, "k", "b", 4, 5, Outcome.OK),
                get(2, "k", "b", 6, 7),
                delete(1, "k", 8, 9, Outcome.OK),
                get(2, "k", null, 10, 11))).isTrue();
    }

    @Test
    void readOfAnOverwrittenValueAfterTheOverwriteCompletedIsNot() {
        // The stale read a deposed leader would serve from its own state: b was acknowledged before the read began.
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                put(1, "k", "b", 2, 3, Outcome.OK),
                get(2, "k", "a", 4, 5))).isFalse();
    }

    @Test
    void aCounterexampleSaysHowFarTheSearchGotAndWhatDidNotFit() {
        LinearizabilityChecker.Result r = checker.check(List.of(
                put(1, "k", "a", 0, 1, Outcome.OK),
                put(1, "k", "b", 2, 3, Outcome.OK),
                get(2, "k", "a", 4, 5)));
        assertThat(r.linearizable()).isFalse();
        assertThat(r.explanation())
                .contains("longest linearizable prefix has 2 of 3")
                .contains("The value is then 'b'")
                .contains("get()=a");
    }

    @Test
    void concurrentReadMaySeeEitherValue() {
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                put(1, "k", "b", 2, 10, Outcome.OK),
                get(2, "k", "a", 3, 4),
                get(3, "k", "b", 5, 6))).isTrue();
    }

    @Test
    void readsMustNotGoBackInTime() {
        // Both reads overlap the write, but once a reader saw b a later reader cannot see a.
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                put(1, "k", "b", 2, 20, Outcome.OK),
                get(2, "k", "b", 3, 4),
                get(3, "k", "a", 5, 6))).isFalse();
    }

    @Test
    void lostAcknowledgedWriteIsNotLinearizable() {
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                put(2, "k", "b", 2, 3, Outcome.OK),
                get(3, "k", "a", 10, 11))).isFalse();
        assertThat(linearizable(
                put(2, "k", "b", 2, 3, Outcome.OK),
                get(3, "k", null, 10, 11))).isFalse();
    }

    @Test
    void unknownWriteMayTakeEffectLateOrNever() {
        KvOp unknown = put(1, "k", "x", 0, 1, Outcome.UNKNOWN);
        // Never observed: as if it never happened.
        assertThat(linearizable(unknown, get(2, "k", null, 5, 6))).isTrue();
        // Observed long after the client gave up: it took effect late.
        assertThat(linearizable(unknown, get(2, "k", null, 5, 6), get(2, "k", "x", 100, 101))).isTrue();
        // But it cannot take effect before it was invoked.
        assertThat(linearizable(get(2, "k", "x", 0, 1), put(1, "k", "x", 5, 6, Outcome.UNKNOWN))).isFalse();
    }

    @Test
    void unknownWriteCannotUnhappen() {
        // Once seen, a later read cannot find the value before it again.
        assertThat(linearizable(
                put(1, "k", "x", 0, 1, Outcome.UNKNOWN),
                get(2, "k", "x", 5, 6),
                get(2, "k", null, 7, 8))).isFalse();
    }

    @Test
    void unobservedUnknownWriteCanStillExplainARefusedCompareAndSet() {
        // Without the unknown write, the value is still "a" when the CAS from "a" is refused.
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                put(2, "k", "x", 2, 3, Outcome.UNKNOWN),
                cas(3, "k", "a", "b", false, 5, 6, Outcome.OK))).isTrue();
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                cas(3, "k", "a", "b", false, 5, 6, Outcome.OK))).isFalse();
    }

    /** k written "a", then {@code n} concurrent writes of unknown outcome by clients 1..n. */
    private static List<KvOp> aThenUnknownWrites(int n) {
        List<KvOp> ops = new ArrayList<>();
        ops.add(put(0, "k", "a", 0, 1, Outcome.OK));
        for (int i = 1; i <= n; i++) {
            ops.add(put(i, "k", "u" + i, 2, 3, Outcome.UNKNOWN));
        }
        return ops;
    }

    @Test
    void manyUnknownWritesInANonLinearizableHistoryAreDecidedQuickly() {
        List<KvOp> ops = aThenUnknownWrites(60);
        ops.add(put(0, "k", "b", 10, 11, Outcome.OK));
        ops.add(get(0, "k", "a", 20, 21)); // stale: b was acknowledged first
        assertThat(new LinearizabilityChecker(100_000).check(ops).linearizable()).isFalse();
    }

    @Test
    void manyUnknownWritesBeforeARefusedCompareAndSetInALinearizableHistoryAreDecidedQuickly() {
        // Seen in the simulator: every client's write of unknown outcome after a leader change, a read
        // that none of them took effect before, and a refused compare-and-set any of them might explain.
        // Trying each subset of them before the read is 2^20 states.
        List<KvOp> ops = aThenUnknownWrites(20);
        ops.add(get(0, "k", "a", 10, 11));
        ops.add(cas(0, "k", "z", "b", false, 20, 21, Outcome.OK));
        assertThat(new LinearizabilityChecker(1_000_000).check(ops).linearizable()).isTrue();
    }

    @Test
    void failedOperationsAreIgnored() {
        assertThat(linearizable(
                put(1, "k", "x", 0, 1, Outcome.FAILED),
                get(2, "k", null, 5, 6))).isTrue();
    }

    @Test
    void compareAndSetSucceedsOnlyOnTheExpectedValue() {
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                cas(2, "k", "a", "b", true, 2, 3, Outcome.OK),
                cas(3, "k", "a", "c", false, 4, 5, Outcome.OK),
                get(1, "k", "b", 6, 7))).isTrue();
        // Two clients both "won" the same compare-and-set: impossible.
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                cas(2, "k", "a", "b", true, 2, 5, Outcome.OK),
                cas(3, "k", "a", "c", true, 2, 5, Outcome.OK))).isFalse();
        // A refused compare-and-set while the value did match.
        assertThat(linearizable(
                put(1, "k", "a", 0, 1, Outcome.OK),
                cas(2, "k", "a", "b", false, 2, 3, Outcome.OK))).isFalse();
    }

    @Test
    void createOnlyIsCompareAndSetFromAbsent() {
        assertThat(linearizable(
                cas(1, "k", null, "a", true, 0, 1, Outcome.OK),
                cas(2, "k", null, "b", false, 2, 3, Outcome.OK),
                get(3, "k", "a", 4, 5))).isTrue();
        assertThat(linearizable(
                cas(1, "k", null, "a", true, 0, 1, Outcome.OK),
                cas(2, "k", null, "b", true, 2, 3, Outcome.OK))).isFalse();
    }

    @Test
    void keysAreCheckedIndependentlyAndTheFailingKeyIsNamed() {
        LinearizabilityChecker.Result r = checker.check(List.of(
                put(1, "good", "a", 0, 1, Outcome.OK),
                get(2, "good", "a", 2, 3),
                put(1, "bad", "a", 0, 1, Outcome.OK),
                get(2, "bad", "zzz", 2, 3)));
        assertThat(r.linearizable()).isFalse();
        assertThat(r.key()).isEqualTo("bad");
        assertThat(r.history()).hasSize(2);
    }

    @Test
    void largeConcurrentHistoryOfARealRegisterIsLinearizable() {
        // Simulate a true atomic register with concurrent clients: each op takes effect at a random instant
        // inside its own interval. The checker must accept every such history.
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            List<KvOp> ops = new ArrayList<>();
            String[] reg = {null};
            long[] nextFree = new long[6];
            List<long[]> effects = new ArrayList<>();
            int seq = 0;
            for (int i = 0; i < 300; i++) {
                int c = rnd.nextInt(6);
                long start = nextFree[c] + rnd.nextInt(5);
                long at = start + rnd.nextInt(10);
                long end = at + rnd.nextInt(10);
                nextFree[c] = end + 1;
                effects.add(new long[] {at, c, start, end, rnd.nextInt(3), seq++});
            }
            effects.sort((a, b) -> Long.compare(a[0], b[0]));
            for (long[] e : effects) {
                int c = (int) e[1];
                long start = e[2];
                long end = e[3];
                switch ((int) e[4]) {
                    case 0 -> {
                        String v = "v" + e[5];
                        reg[0] = v;
                        ops.add(put(c, "k", v, start, end, rnd.nextInt(10) == 0 ? Outcome.UNKNOWN : Outcome.OK));
                    }
                    case 1 -> ops.add(get(c, "k", reg[0], start, end));
                    default -> {
                        String expect = rnd.nextBoolean() ? reg[0] : "v" + rnd.nextInt(seq + 1);
                        boolean swapped = java.util.Objects.equals(expect, reg[0]);
                        String v = "v" + e[5];
                        if (swapped) {
                            reg[0] = v;
                        }
                        ops.add(cas(c, "k", expect, v, swapped, start, end, Outcome.OK));
                    }
                }
            }
            assertThat(checker.check(ops).linearizable()).as("round %d", round).isTrue();
        }
    }

    @Test
    void searchBudgetIsEnforcedRatherThanHanging() {
        LinearizabilityChecker tiny = new LinearizabilityChecker(10);
        List<KvOp> ops = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ops.add(put(i, "k", "v" + i, 0, 100, Outcome.OK));
        }
        ops.add(get(99, "k", "nope", 200, 201));
        assertThatThrownBy(() -> tiny.check(ops)).isInstanceOf(IllegalStateException.class);
    }
}
