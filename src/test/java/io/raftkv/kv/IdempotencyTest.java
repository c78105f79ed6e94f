package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static io.raftkv.kv.Cmds.bytes;
import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static io.raftkv.kv.Cmds.string;
import static io.raftkv.kv.KvStateMachineTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class IdempotencyTest {

    private static final long T0 = 1_700_000_000_000L;

    @Test
    void aRetryIsAppliedOnceEvenIfTheKeyChangedInBetween() {
        KvStateMachine sm = new KvStateMachine();
        KvCommand first = put("k", "mine", Precondition.NONE, "req-1", T0);
        assertThat(sm.apply(1, first)).isEqualTo(new WriteResult.Written(1, true));
        assertThat(sm.idempotencyKeyCount()).isEqualTo(1);

        sm.apply(2, put("k", "someone else's")); // another client overwrites

        // the retry arrives later (a new leader proposes it with a later clock): same answer, no change
        KvCommand retry = put("k", "mine", Precondition.NONE, "req-1", T0 + 5_000);
        assertThat(sm.apply(3, retry)).isEqualTo(new WriteResult.Written(1, true));
        assertThat(sm.get("k").orElseThrow()).isEqualTo(new KeyValue("k", bytes("someone else's"), null, 1, 2, 2));
        assertThat(sm.appliedIndex()).isEqualTo(3);
        assertThat(sm.apply(4, retry)).isEqualTo(new WriteResult.Written(1, true));
        assertThat(sm.get("k").orElseThrow().modRevision()).isEqualTo(2);
    }

    @Test
    void aRetriedDeleteDoesNotDeleteTheKeyCreatedSince() {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(1, put("k", "v"));
        assertThat(sm.apply(2, delete("k", Precondition.NONE, "del-1", T0))).isEqualTo(new WriteResult.Deleted(2));
        sm.apply(3, put("k", "new"));
        assertThat(sm.apply(4, delete("k", Precondition.NONE, "del-1", T0 + 1))).isEqualTo(new WriteResult.Deleted(2));
        assertThat(string(sm.get("k").orElseThrow())).isEqualTo("new");
    }

    @Test
    void failedAndNotFoundOutcomesAreRememberedToo() {
        KvStateMachine sm = new KvStateMachine();
        assertThat(sm.apply(1, delete("k", Precondition.NONE, "d", T0))).isEqualTo(WriteResult.NOT_FOUND);
        sm.apply(2, put("k", "v"));
        assertThat(sm.apply(3, delete("k", Precondition.NONE, "d", T0))).isEqualTo(WriteResult.NOT_FOUND);
        assertThat(sm.get("k")).isPresent();

        assertThat(sm.apply(4, put("k", "cas", Precondition.revision(1), "cas", T0)))
                .isEqualTo(new WriteResult.PreconditionFailed(2));
        sm.apply(5, put("k", "v2"));
        // now revision 1 still does not match, but the answer is the remembered one, not a fresh evaluation
        assertThat(sm.apply(6, put("k", "cas", Precondition.revision(1), "cas", T0)))
                .isEqualTo(new WriteResult.PreconditionFailed(2));

        assertThat(sm.apply(7, put("new", "x", Precondition.PRESENT, "p", T0))).isEqualTo(new WriteResult.PreconditionFailed(0));
        sm.apply(8, put("new", "y"));
        assertThat(sm.apply(9, put("new", "x", Precondition.PRESENT, "p", T0))).isEqualTo(new WriteResult.PreconditionFailed(0));
        assertThat(string(sm.get("new").orElseThrow())).isEqualTo("y");
    }

    static Stream<Arguments> differentRequests() {
        KvCommand original = new KvCommand.Put("k", bytes("v"), "text/plain", Precondition.revision(1), "idem", T0);
        return Stream.of(
                arguments(original, new KvCommand.Put("k", bytes("w"), "text/plain", Precondition.revision(1), "idem", T0)),
                arguments(original, new KvCommand.Put("k2", bytes("v"), "text/plain", Precondition.revision(1), "idem", T0)),
                arguments(original, new KvCommand.Put("k", bytes("v"), null, Precondition.revision(1), "idem", T0)),
                arguments(original, new KvCommand.Put("k", bytes("v"), "text/plain;", Precondition.revision(1), "idem", T0)),
                arguments(original, new KvCommand.Put("k", bytes("v"), "text/plain", Precondition.revision(2), "idem", T0)),
                arguments(original, new KvCommand.Put("k", bytes("v"), "text/plain", Precondition.NONE, "idem", T0)),
                arguments(original, new KvCommand.Put("k", bytes("v"), "text/plain", Precondition.PRESENT, "idem", T0)),
                arguments(original, new KvCommand.Delete("k", Precondition.revision(1), "idem", T0)),
                arguments(new KvCommand.Put("k", new byte[0], "", Precondition.NONE, "idem", T0),
                        new KvCommand.Put("k", new byte[0], null, Precondition.NONE, "idem", T0)),
                arguments(new KvCommand.Delete("k", Precondition.ABSENT, "idem", T0),
                        new KvCommand.Delete("k", Precondition.PRESENT, "idem", T0)),
                // no field boundary confusion: key "ab" + value "c" vs key "a" + value "bc"
                arguments(new KvCommand.Put("ab", bytes("c"), null, Precondition.NONE, "idem", T0),
                        new KvCommand.Put("a", bytes("bc"), null, Precondition.NONE, "idem", T0)));
    }

    @ParameterizedTest
    @MethodSource("differentRequests")
    void aDifferentRequestWithTheSameKeyIsRefused(KvCommand original, KvCommand other) throws Exception {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(1, put("k", "v0"));
        WriteResult first = sm.apply(2, original);
        byte[] before = snapshot(sm);

        assertThat(sm.apply(3, other)).isEqualTo(WriteResult.IDEMPOTENCY_KEY_REUSED);

        sm.skip(4); // compare the data with appliedIndex made equal
        KvStateMachine expected = new KvStateMachine();
        expected.restore(new java.io.ByteArrayInputStream(before));
        expected.skip(4);
        assertThat(snapshot(sm)).isEqualTo(snapshot(expected));
        // the refusal was not remembered: the original request still gets its own answer
        assertThat(sm.apply(5, original)).isEqualTo(first);
    }

    @Test
    void outcomesExpireAfterTheTtlOfTheTableClock() {
        KvStateMachine sm = new KvStateMachine(new IdempotencyPolicy(100, 1_000));
        KvCommand at0 = put("k", "v", Precondition.NONE, "a", T0);
        assertThat(sm.apply(1, at0)).isEqualTo(new WriteResult.Written(1, true));
        // exactly ttl later is still remembered
        assertThat(sm.apply(2, put("k", "v", Precondition.NONE, "a", T0 + 1_000))).isEqualTo(new WriteResult.Written(1, true));
        // a millisecond more and it is forgotten: the retry is applied as a new write
        assertThat(sm.apply(3, put("k", "v", Precondition.NONE, "a", T0 + 1_001))).isEqualTo(new WriteResult.Written(3, false));
        assertThat(sm.get("k").orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void anyCommandAdvancesTheClockAndTheClockNeverGoesBack() {
        KvStateMachine sm = new KvStateMachine(new IdempotencyPolicy(100, 1_000));
        sm.apply(1, put("x", "1", Precondition.NONE, null, T0 + 5_000)); // a leader with a fast clock
        // the next leader's clock is behind: the outcome is stamped with the table clock (T0 + 5000)
        assertThat(sm.apply(2, put("k", "v", Precondition.NONE, "a", T0))).isEqualTo(new WriteResult.Written(2, true));
        assertThat(sm.apply(3, put("k", "v", Precondition.NONE, "a", T0 + 5_900))).isEqualTo(new WriteResult.Written(2, true));
        assertThat(sm.apply(4, put("k", "v", Precondition.NONE, "a", T0))).isEqualTo(new WriteResult.Written(2, true));
        assertThat(sm.idempotencyKeyCount()).isEqualTo(1);
        // a write without an idempotency key moves the clock on and expires it
        sm.apply(5, put("y", "1", Precondition.NONE, null, T0 + 6_001));
        assertThat(sm.idempotencyKeyCount()).isZero();
        assertThat(sm.apply(6, put("k", "v", Precondition.NONE, "a", T0))).isEqualTo(new WriteResult.Written(6, false));
    }

    @Test
    void atMostMaxEntriesAreRememberedOldestFirstOut() {
        KvStateMachine sm = new KvStateMachine(new IdempotencyPolicy(3, Long.MAX_VALUE));
        for (int i = 1; i <= 4; i++) {
            assertThat(sm.apply(i, put("k" + i, "v", Precondition.NONE, "id" + i, T0 + i)))
                    .isEqualTo(new WriteResult.Written(i, true));
        }
        assertThat(sm.idempotencyKeyCount()).isEqualTo(3);
        // replays do not refresh an entry's place, and do not evict anything
        assertThat(sm.apply(5, put("k4", "v", Precondition.NONE, "id4", T0))).isEqualTo(new WriteResult.Written(4, true));
        assertThat(sm.apply(6, put("k3", "v", Precondition.NONE, "id3", T0))).isEqualTo(new WriteResult.Written(3, true));
        assertThat(sm.apply(7, put("k2", "v", Precondition.NONE, "id2", T0))).isEqualTo(new WriteResult.Written(2, true));
        // id1 was evicted, so its retry is applied again, which remembers id1 and evicts id2 (the oldest)
        assertThat(sm.apply(8, put("k1", "v", Precondition.NONE, "id1", T0))).isEqualTo(new WriteResult.Written(8, false));
        assertThat(sm.apply(9, put("k2", "v", Precondition.NONE, "id2", T0))).isEqualTo(new WriteResult.Written(9, false));
        assertThat(sm.apply(10, put("k1", "v", Precondition.NONE, "id1", T0))).isEqualTo(new WriteResult.Written(8, false));
        assertThat(sm.idempotencyKeyCount()).isEqualTo(3);
    }

    @Test
    void zeroMaxEntriesRemembersNothing() {
        KvStateMachine sm = new KvStateMachine(new IdempotencyPolicy(0, 1_000));
        assertThat(sm.apply(1, put("k", "v", Precondition.NONE, "a", T0))).isEqualTo(new WriteResult.Written(1, true));
        assertThat(sm.apply(2, put("k", "v", Precondition.NONE, "a", T0))).isEqualTo(new WriteResult.Written(2, false));
        assertThat(sm.idempotencyKeyCount()).isZero();
    }

    @Test
    void extremeClocksDoNotOverflowIntoImmortality() {
        KvStateMachine sm = new KvStateMachine(new IdempotencyPolicy(10, 1_000));
        sm.apply(1, put("k", "v", Precondition.NONE, "a", Long.MIN_VALUE + 1));
        sm.apply(2, put("x", "v", Precondition.NONE, null, Long.MAX_VALUE));
        assertThat(sm.idempotencyKeyCount()).isZero();
    }

    @Test
    void expiryIsTheSameOnTwoReplicasWhoseLeadersClocksDisagree() {
        IdempotencyPolicy policy = new IdempotencyPolicy(50, 2_000);
        KvStateMachine a = new KvStateMachine(policy);
        KvStateMachine b = new KvStateMachine(policy);
        Random random = new Random(7);
        List<String> recent = new ArrayList<>();
        long clock = T0;
        int replays = 0;
        int reapplied = 0;
        for (long index = 1; index <= 3_000; index++) {
            clock += random.nextInt(100) - 30; // leaders' clocks jitter and sometimes go back
            String idem = recent.isEmpty() || random.nextInt(3) == 0 ? "id-" + index : recent.get(random.nextInt(recent.size()));
            recent.add(idem);
            KvCommand cmd = put("k" + (idem.hashCode() & 7), idem, Precondition.NONE, idem, clock);
            WriteResult ra = a.apply(index, cmd);
            WriteResult rb = b.apply(index, cmd);
            assertThat(ra).isEqualTo(rb);
            if (ra instanceof WriteResult.Written w && w.revision() != index) {
                replays++;
            } else if (!idem.equals("id-" + index)) {
                reapplied++;
            }
            assertThat(a.idempotencyKeyCount()).isLessThanOrEqualTo(50);
        }
        assertThat(replays).isGreaterThan(100);
        assertThat(reapplied).isGreaterThan(100); // some retries came after their outcome expired
        assertThat(snapshot(a)).isEqualTo(snapshot(b));
    }
}
