package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static io.raftkv.kv.Cmds.bytes;
import static io.raftkv.kv.Cmds.put;
import static io.raftkv.kv.Cmds.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TxnTest {
    private final KvStateMachine sm = new KvStateMachine();

    private static TxnCommand.Compare modRevision(String key, TxnCommand.Operator op, long rev) {
        return new TxnCommand.Compare(key, TxnCommand.Target.MOD_REVISION, op, rev, null);
    }

    private static TxnCommand.Put tput(String key, String value) {
        return new TxnCommand.Put(key, bytes(value), "text/plain", 0);
    }

    private static TxnCommand txn(List<TxnCommand.Compare> compare, List<TxnCommand.Op> success, List<TxnCommand.Op> failure) {
        return new TxnCommand(compare, success, failure, null, 0);
    }

    @Test
    void theSuccessBranchWritesEveryKeyAtTheEntrysRevision() {
        sm.apply(1, put("a", "1"));
        WriteResult r = sm.apply(2, txn(List.of(modRevision("a", TxnCommand.Operator.EQUAL, 1)),
                List.of(tput("a", "2"), tput("b", "3"), new TxnCommand.Get("a")), List.of()));

        assertThat(r).isInstanceOf(WriteResult.TxnDone.class);
        WriteResult.TxnDone done = (WriteResult.TxnDone) r;
        assertThat(done.succeeded()).isTrue();
        assertThat(done.revision()).isEqualTo(2);
        assertThat(done.results()).hasSize(3);
        assertThat(done.results().get(0)).isEqualTo(new WriteResult.PutDone("a", false));
        assertThat(done.results().get(1)).isEqualTo(new WriteResult.PutDone("b", true));
        assertThat(string(((WriteResult.GetDone) done.results().get(2)).kv())).isEqualTo("2");
        assertThat(sm.get("a").orElseThrow().modRevision()).isEqualTo(2);
        assertThat(sm.get("a").orElseThrow().version()).isEqualTo(2);
        assertThat(sm.get("b").orElseThrow().modRevision()).isEqualTo(2);
        assertThat(sm.appliedIndex()).isEqualTo(2);
    }

    @Test
    void aFailedComparisonRunsTheFailureBranchOnly() {
        sm.apply(1, put("a", "1"));
        WriteResult.TxnDone done = (WriteResult.TxnDone) sm.apply(2, txn(
                List.of(modRevision("a", TxnCommand.Operator.EQUAL, 7)),
                List.of(tput("a", "never")), List.of(new TxnCommand.Get("a"), new TxnCommand.Delete("zz"))));

        assertThat(done.succeeded()).isFalse();
        assertThat(done.results()).containsExactly(
                new WriteResult.GetDone("a", sm.get("a").orElseThrow()), new WriteResult.DeleteDone("zz", false));
        assertThat(string(sm.get("a").orElseThrow())).isEqualTo("1");
    }

    @Test
    void comparisonsFollowEtcdForAbsentKeysAndCompareValuesAsBytes() {
        sm.apply(1, put("a", "b"));
        KeyValue a = sm.get("a").orElseThrow();
        assertThat(new TxnCommand.Compare("a", TxnCommand.Target.VALUE, TxnCommand.Operator.LESS, 0, bytes("c")).holdsFor(a)).isTrue();
        assertThat(new TxnCommand.Compare("a", TxnCommand.Target.VALUE, TxnCommand.Operator.GREATER, 0, bytes("a")).holdsFor(a)).isTrue();
        assertThat(new TxnCommand.Compare("a", TxnCommand.Target.VALUE, TxnCommand.Operator.EQUAL, 0, bytes("b")).holdsFor(a)).isTrue();
        assertThat(new TxnCommand.Compare("x", TxnCommand.Target.VALUE, TxnCommand.Operator.EQUAL, 0, bytes("")).holdsFor(null)).isFalse();
        assertThat(new TxnCommand.Compare("x", TxnCommand.Target.VALUE, TxnCommand.Operator.NOT_EQUAL, 0, bytes("")).holdsFor(null)).isTrue();
        assertThat(new TxnCommand.Compare("x", TxnCommand.Target.CREATE_REVISION, TxnCommand.Operator.EQUAL, 0, null).holdsFor(null)).isTrue();
        assertThat(new TxnCommand.Compare("a", TxnCommand.Target.VERSION, TxnCommand.Operator.GREATER, 0, null).holdsFor(a)).isTrue();
        // 0xFF sorts after 'a' as an unsigned byte
        assertThat(new TxnCommand.Compare("a", TxnCommand.Target.VALUE, TxnCommand.Operator.LESS, 0, new byte[]{(byte) 0xFF}).holdsFor(a)).isTrue();
    }

    @Test
    void aKeyIsWrittenAtMostOncePerBranch() {
        assertThatThrownBy(() -> txn(List.of(), List.of(tput("a", "1"), new TxnCommand.Delete("a")), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' twice");
        txn(List.of(), List.of(tput("a", "1"), new TxnCommand.Get("a")), List.of(tput("a", "2")));
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyIsAnsweredFromTheTableAndChangesNothing() {
        TxnCommand first = new TxnCommand(List.of(), List.of(tput("a", "1")), List.of(), "k1", 1000);
        WriteResult r1 = sm.apply(1, first);
        sm.apply(2, put("a", "other"));
        TxnCommand retry = new TxnCommand(List.of(), List.of(tput("a", "1")), List.of(), "k1", 2000);
        assertThat(sm.apply(3, retry)).isEqualTo(r1);
        assertThat(string(sm.get("a").orElseThrow())).isEqualTo("other");
        TxnCommand different = new TxnCommand(List.of(), List.of(tput("a", "2")), List.of(), "k1", 3000);
        assertThat(sm.apply(4, different)).isEqualTo(WriteResult.IDEMPOTENCY_KEY_REUSED);
    }

    @Test
    void theEncodingRoundTripsAndRefusesGarbage() {
        TxnCommand t = new TxnCommand(
                List.of(modRevision("a", TxnCommand.Operator.LESS, 5),
                        new TxnCommand.Compare("é", TxnCommand.Target.VALUE, TxnCommand.Operator.NOT_EQUAL, 0, bytes("v"))),
                List.of(new TxnCommand.Put("a", bytes("x"), null, 9), new TxnCommand.Delete("b")),
                List.of(new TxnCommand.Get("c")), "idem", -3);
        byte[] encoded = t.encode();
        assertThat(TxnCommand.decode(encoded)).isEqualTo(t);
        for (int cut = 1; cut < encoded.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(encoded, cut);
            assertThatThrownBy(() -> TxnCommand.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] longer = java.util.Arrays.copyOf(encoded, encoded.length + 1);
        assertThatThrownBy(() -> TxnCommand.decode(longer)).hasMessageContaining("after the last field");
    }

    @Test
    void aTransactionIsOneEventBatchAtOneRevision() {
        List<KvEvent> events = new ArrayList<>();
        Cmds.record(sm, events);
        sm.apply(1, put("a", "1"));
        sm.apply(2, txn(List.of(), List.of(tput("b", "2"), new TxnCommand.Delete("a"), new TxnCommand.Get("b")), List.of()));
        sm.apply(3, txn(List.of(), List.of(new TxnCommand.Get("b")), List.of()));

        assertThat(events).extracting(KvEvent::type, KvEvent::revision, KvEvent::key).containsExactly(
                org.assertj.core.groups.Tuple.tuple(KvEvent.Type.PUT, 1L, "a"),
                org.assertj.core.groups.Tuple.tuple(KvEvent.Type.PUT, 2L, "b"),
                org.assertj.core.groups.Tuple.tuple(KvEvent.Type.DELETE, 2L, "a"));
    }

    @Test
    void aLeaseGrantingTransactionIsAppliedAtomicallyAndSurvivesASnapshotTheSameOnEveryReplica() throws Exception {
        // Two replicas apply the same TTL put at the same index: the same lease id, key and events.
        List<KvEvent> events = new ArrayList<>();
        Cmds.record(sm, events);
        sm.apply(1, put("other", "x"));
        WriteResult r = sm.apply(2, LeaseTest.ttlPut(1, "svc", "up", "i1"));
        KvStateMachine replica = new KvStateMachine();
        replica.apply(1, put("other", "x"));
        assertThat(replica.apply(2, LeaseTest.ttlPut(1, "svc", "up", "i1"))).isEqualTo(r);
        assertThat(replica.leases()).isEqualTo(sm.leases());
        assertThat(events).extracting(KvEvent::type, KvEvent::revision, KvEvent::key).containsExactly(
                org.assertj.core.groups.Tuple.tuple(KvEvent.Type.PUT, 1L, "other"),
                org.assertj.core.groups.Tuple.tuple(KvEvent.Type.PUT, 2L, "svc"));
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        sm.writeSnapshot(image);
        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(image.toByteArray()));
        assertThat(restored.leases()).isEqualTo(sm.leases());
        assertThat(restored.apply(3, LeaseTest.ttlPut(1, "svc", "up", "i1", 5000))).as("the replay is remembered across the snapshot")
                .isEqualTo(r);
        assertThat(restored.leases()).hasSize(1);
    }

    @Test
    void rememberedTransactionOutcomesSurviveASnapshot() throws Exception {
        sm.apply(1, put("a", "1"));
        WriteResult r = sm.apply(2, new TxnCommand(List.of(), List.of(new TxnCommand.Get("a"), tput("b", "2")), List.of(), "k", 5));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.writeSnapshot(out);
        KvStateMachine copy = new KvStateMachine();
        copy.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(copy.apply(3, new TxnCommand(List.of(), List.of(new TxnCommand.Get("a"), tput("b", "2")), List.of(), "k", 6)))
                .isEqualTo(r);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        KvStateMachine copy2 = new KvStateMachine();
        copy2.restore(new ByteArrayInputStream(out.toByteArray()));
        copy2.writeSnapshot(again);
        assertThat(again.toByteArray()).isEqualTo(out.toByteArray());
    }

    @Test
    void aRememberedTransactionCountsTheValuesItReadAgainstTheQuotaUntilItIsForgotten() {
        KvStateMachine small = new KvStateMachine(new IdempotencyPolicy(1, 3_600_000));
        small.apply(1, new KvCommand.Put("big", new byte[100_000], null, Precondition.NONE, null, 0));
        long before = small.storedBytes();
        small.apply(2, new TxnCommand(List.of(), List.of(new TxnCommand.Get("big")), List.of(), "read-1", 0));
        // Overwriting the key leaves the read value alive only in the table: it must still count.
        small.apply(3, put("big", "small now"));
        assertThat(small.storedBytes()).isGreaterThan(small.get("big").orElseThrow().value().length + 100_000L);
        // The table holds one entry: the next remembered write pushes the read out.
        small.apply(4, new TxnCommand(List.of(), List.of(new TxnCommand.Delete("zz")), List.of(), "other", 0));
        assertThat(small.storedBytes()).isLessThan(before);
    }
}
