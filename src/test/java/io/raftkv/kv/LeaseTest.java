package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static io.raftkv.kv.Cmds.bytes;
import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Leases in the state machine: what each command does, and which expirations every replica ignores. */
class LeaseTest {
    private final KvStateMachine sm = new KvStateMachine();
    private final List<KvEvent> events = new ArrayList<>();

    LeaseTest() {
        Cmds.record(sm, events);
    }

    private static TxnCommand putWithLease(String key, long lease) {
        return new TxnCommand(List.of(), List.of(new TxnCommand.Put(key, bytes("v"), null, lease)), List.of(), null, 0);
    }

    /** Lease 1 (granted at index 1, term 1) holding keys a and b. */
    private void leaseWithTwoKeys() {
        assertThat(sm.apply(1, new LeaseCommand.Grant(1, 10_000))).isEqualTo(new WriteResult.LeaseAlive(1, 10_000));
        sm.apply(2, putWithLease("a", 1));
        sm.apply(3, putWithLease("b", 1));
    }

    @Test
    void anExpirationDeletesTheLeasesKeysAtItsIndexWithEventsThatNameTheLease() {
        leaseWithTwoKeys();
        assertThat(sm.lease(1).orElseThrow().keys()).containsExactly("a", "b");
        assertThat(sm.apply(4, new LeaseCommand.Expire(1, 1, 1))).isEqualTo(new WriteResult.LeaseEnded(1, 4, 2));
        assertThat(sm.get("a")).isEmpty();
        assertThat(sm.get("b")).isEmpty();
        assertThat(sm.lease(1)).isEmpty();
        assertThat(events.subList(2, 4)).allSatisfy(e -> {
            assertThat(e.type()).isEqualTo(KvEvent.Type.DELETE);
            assertThat(e.revision()).isEqualTo(4);
            assertThat(e.lease()).isEqualTo(1);
        });
        assertThat(sm.apply(5, new LeaseCommand.KeepAlive(1, 1))).isEqualTo(new WriteResult.LeaseNotFound(1));
    }

    @Test
    void anExpirationFromAnOlderTermThanAnAppliedLeaseCommandIsIgnored() {
        leaseWithTwoKeys();
        // A new leader (term 2) kept the lease alive; the deposed leader's expiration arrives after.
        sm.apply(4, new LeaseCommand.KeepAlive(2, 1));
        WriteResult r = sm.apply(5, new LeaseCommand.Expire(1, 1, 4));
        assertThat(r).isInstanceOf(WriteResult.Refused.class);
        assertThat(sm.get("a")).isPresent();
        assertThat(sm.lease(1)).isPresent();
        assertThat(sm.appliedIndex()).isEqualTo(5);
    }

    @Test
    void anExpirationTimedFromARenewalThatWasSupersededIsIgnored() {
        leaseWithTwoKeys();
        sm.apply(4, new LeaseCommand.KeepAlive(1, 1));
        assertThat(sm.apply(5, new LeaseCommand.Expire(1, 1, 1))).isInstanceOf(WriteResult.Refused.class);
        assertThat(sm.get("b")).isPresent();
        assertThat(sm.apply(6, new LeaseCommand.Expire(1, 1, 4))).isEqualTo(new WriteResult.LeaseEnded(1, 6, 2));
    }

    @Test
    void aPutWithoutTheLeaseOrADeleteTakesTheKeyAwayFromIt() {
        leaseWithTwoKeys();
        sm.apply(4, put("a", "mine now"));
        sm.apply(5, delete("b"));
        assertThat(sm.lease(1).orElseThrow().keys()).isEmpty();
        assertThat(sm.apply(6, new LeaseCommand.Revoke(1, 1))).isEqualTo(new WriteResult.LeaseEnded(1, 6, 0));
        assertThat(sm.get("a")).isPresent();
    }

    @Test
    void aPutOnAnUnknownLeaseChangesNothing() {
        assertThat(sm.apply(1, putWithLease("a", 42))).isEqualTo(new WriteResult.LeaseNotFound(42));
        assertThat(sm.get("a")).isEmpty();
        assertThat(events).isEmpty();
    }

    @Test
    void replicasThatApplyTheSameEntriesHoldTheSameLeasesAndSnapshotsCarryThem() throws Exception {
        leaseWithTwoKeys();
        sm.apply(4, new LeaseCommand.Grant(1, 5_000));
        sm.apply(5, putWithLease("c", 4));
        sm.apply(6, new LeaseCommand.KeepAlive(3, 4));
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        sm.writeSnapshot(image);
        KvStateMachine replica = new KvStateMachine();
        replica.restore(new ByteArrayInputStream(image.toByteArray()));
        assertThat(replica.leases()).isEqualTo(sm.leases());
        // The restored term still makes an older expiration stale.
        assertThat(replica.apply(7, new LeaseCommand.Expire(2, 4, 6))).isInstanceOf(WriteResult.Refused.class);
        assertThat(replica.apply(8, new LeaseCommand.Expire(3, 1, 1))).isEqualTo(new WriteResult.LeaseEnded(1, 8, 2));
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        KvStateMachine other = new KvStateMachine();
        other.restore(new ByteArrayInputStream(image.toByteArray()));
        other.writeSnapshot(again);
        assertThat(again.toByteArray()).isEqualTo(image.toByteArray());
    }

    @Test
    void theEncodingRoundTripsAndRefusesGarbage() {
        for (LeaseCommand c : List.of(new LeaseCommand.Grant(3, 1000), new LeaseCommand.KeepAlive(3, 9),
                new LeaseCommand.Revoke(4, 9), new LeaseCommand.Expire(5, 9, 12), ttlPut(6, "k", "v", "idem"),
                ttlPut(7, "k", "", null))) {
            assertThat(LeaseCommand.decode(c.encode())).isEqualTo(c);
            byte[] cut = java.util.Arrays.copyOf(c.encode(), c.encode().length - 1);
            assertThatThrownBy(() -> LeaseCommand.decode(cut)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new LeaseCommand.Grant(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** {@code PUT /kv/svc?ttl=10s} with {@code If-None-Match: *} and an idempotency key, as the web layer proposes it. */
    static LeaseCommand.GrantWith ttlPut(long term, String key, String value, String idem) {
        return ttlPut(term, key, value, idem, 1000);
    }

    static LeaseCommand.GrantWith ttlPut(long term, String key, String value, String idem, long proposedAt) {
        return new LeaseCommand.GrantWith(term, 10_000, new TxnCommand(
                List.of(new TxnCommand.Compare(key, TxnCommand.Target.CREATE_REVISION, TxnCommand.Operator.EQUAL, 0, null)),
                List.of(new TxnCommand.Put(key, bytes(value), null, 0)), List.of(new TxnCommand.Get(key)), idem, proposedAt));
    }

    @Test
    void aTtlPutGrantsItsLeaseAndWritesTheKeyInOneEntryWhoseIndexIsTheLeasesId() {
        WriteResult r = sm.apply(5, ttlPut(2, "svc", "up", null));
        assertThat(r).isEqualTo(new WriteResult.TxnDone(true, 5, List.of(new WriteResult.PutDone("svc", true))));
        Leases.Lease lease = sm.lease(5).orElseThrow();
        assertThat(lease.keys()).containsExactly("svc");
        assertThat(lease.ttlMillis()).isEqualTo(10_000);
        assertThat(lease.renewedAt()).isEqualTo(5);
        assertThat(sm.get("svc").orElseThrow().modRevision()).isEqualTo(5);
        assertThat(sm.apply(6, new LeaseCommand.Expire(1, 5, 5))).as("the grant counts as a lease command of term 2")
                .isInstanceOf(WriteResult.Refused.class);
        assertThat(sm.apply(7, new LeaseCommand.Expire(2, 5, 5))).isEqualTo(new WriteResult.LeaseEnded(5, 7, 1));
        assertThat(sm.get("svc")).isEmpty();
    }

    @Test
    void aTtlPutWhoseConditionFailsGrantsNothing() {
        sm.apply(1, put("svc", "taken"));
        WriteResult r = sm.apply(2, ttlPut(1, "svc", "mine", null));
        assertThat(r).isInstanceOfSatisfying(WriteResult.TxnDone.class, d -> assertThat(d.succeeded()).isFalse());
        assertThat(sm.leases()).as("no orphan lease").isEmpty();
        assertThat(Cmds.string(sm.get("svc").orElseThrow())).isEqualTo("taken");
    }

    @Test
    void anIdempotencyKeyReplayOfATtlPutAnswersTheSameAndGrantsNothingNew() {
        WriteResult first = sm.apply(3, ttlPut(1, "svc", "up", "k1"));
        // The retry comes after a leader change: a later term, and (in the entry) a later time.
        WriteResult retry = sm.apply(4, ttlPut(2, "svc", "up", "k1", 2000));
        assertThat(retry).isEqualTo(first);
        assertThat(sm.leases()).extracting(Leases.Lease::id).containsExactly(3L);
        assertThat(sm.get("svc").orElseThrow().modRevision()).isEqualTo(3);
        assertThat(sm.apply(5, ttlPut(1, "svc", "other", "k1"))).as("another request under the same key")
                .isEqualTo(WriteResult.IDEMPOTENCY_KEY_REUSED);
        assertThat(sm.leases()).hasSize(1);
    }

    @Test
    void aTtlPutsLeaseIsItsOwn() {
        assertThatThrownBy(() -> new LeaseCommand.GrantWith(1, 1000, putWithLease("a", 7))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LeaseCommand.GrantWith(1, 0, putWithLease("a", 0))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void leasesCountAgainstTheStoreQuota() {
        long empty = sm.storedBytes();
        sm.apply(1, new LeaseCommand.Grant(1, 1000));
        sm.apply(2, new LeaseCommand.Grant(1, 1000));
        assertThat(sm.storedBytes()).isEqualTo(empty + 2 * KvStateMachine.LEASE_COST);
        sm.apply(3, new LeaseCommand.Revoke(1, 1));
        assertThat(sm.storedBytes()).isEqualTo(empty + KvStateMachine.LEASE_COST);
    }
}
