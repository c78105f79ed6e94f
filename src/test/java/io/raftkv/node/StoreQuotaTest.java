package io.raftkv.node;

import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Precondition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store quota is decided before a write is proposed, and counts what is in flight. */
class StoreQuotaTest {
    private final KvStateMachine data = new KvStateMachine();
    private long index;

    private static KvCommand.Put put(String key, int size) {
        return new KvCommand.Put(key, new byte[size], null, Precondition.NONE, null, 0);
    }

    private static long cost(String key, int size) {
        return KvStateMachine.entryCost(key, size, null);
    }

    private void apply(KvCommand cmd) {
        data.apply(++index, cmd);
    }

    @Test
    void aPutThatWouldPassTheQuotaIsRefusedWithTheUsageAndTheQuota() {
        StoreQuota quota = new StoreQuota(cost("a", 1000) + cost("b", 500), data);
        apply(put("a", 1000));
        assertThat(quota.reserve(put("b", 500))).isEqualTo(cost("b", 500));
        assertThatThrownBy(() -> quota.reserve(put("c", 1)))
                .isInstanceOf(OverloadedException.class).as("c fits alone, not with b in flight: retry once b is applied")
                .hasMessageContaining("pending");
        quota.release(cost("b", 500));
        apply(put("b", 500));
        assertThatThrownBy(() -> quota.reserve(put("c", 1)))
                .isInstanceOfSatisfying(StoreFullException.class, e -> {
                    assertThat(e.usedBytes()).isEqualTo(data.storedBytes());
                    assertThat(e.quotaBytes()).isEqualTo(quota.quotaBytes());
                    assertThat(e.writeBytes()).isEqualTo(cost("c", 1));
                    assertThat(e.getMessage()).contains("max-store-size").contains("delete");
                });
        assertThat(quota.alarm()).isTrue();
    }

    @Test
    void writesInFlightCountSoAFloodCannotOvershoot() {
        long quotaBytes = 10 * cost("k0", 100);
        StoreQuota quota = new StoreQuota(quotaBytes, data);
        int admitted = 0;
        for (int i = 0; i < 100; i++) {
            try {
                quota.reserve(put("k" + i % 10, 100));
                admitted++;
            } catch (OverloadedException e) {
                assertThat(e.reason()).isEqualTo("quota-pending");
            }
        }
        // Keys k0..k9 repeat, but none is stored yet: each admitted put may create its key.
        assertThat(admitted).isEqualTo(10);
        assertThat(quota.pendingBytes()).isLessThanOrEqualTo(quotaBytes);
    }

    @Test
    void aPutThatDoesNotGrowTheStoreAndEveryDeletePassEvenAtTheQuota() {
        StoreQuota quota = new StoreQuota(cost("a", 1000), data);
        apply(put("a", 1000));
        assertThatThrownBy(() -> quota.reserve(put("b", 0))).isInstanceOf(StoreFullException.class);
        assertThat(quota.reserve(put("a", 1000))).as("same size").isPositive();
        assertThat(quota.reserve(put("a", 10))).as("smaller, even with another write pending").isPositive();
        assertThat(quota.reserve(new KvCommand.Delete("a", Precondition.NONE, null, 0))).isZero();
        assertThatThrownBy(() -> quota.reserve(put("a", 1001))).isInstanceOf(StoreFullException.class);
    }

    @Test
    void theAlarmClearsOnceUsageGoesDown() {
        StoreQuota quota = new StoreQuota(cost("a", 1000), data);
        apply(put("a", 1000));
        assertThat(quota.alarm()).isFalse();
        assertThatThrownBy(() -> quota.reserve(put("b", 1))).isInstanceOf(StoreFullException.class);
        assertThat(quota.alarm()).isTrue();
        apply(new KvCommand.Delete("a", Precondition.NONE, null, 0));
        assertThat(quota.alarm()).isFalse();
        assertThat(quota.reserve(put("b", 1))).isPositive();
    }

    @Test
    void anIdempotentPutAlsoReservesItsRememberedOutcome() {
        KvCommand.Put idem = new KvCommand.Put("a", new byte[10], null, Precondition.NONE, "key-1", 0);
        StoreQuota quota = new StoreQuota(1 << 20, data);
        assertThat(quota.reserve(idem)).isEqualTo(cost("a", 10) + KvStateMachine.IDEMPOTENCY_ENTRY_COST);
        apply(idem);
        assertThat(data.storedBytes()).isEqualTo(cost("a", 10) + KvStateMachine.IDEMPOTENCY_ENTRY_COST);
    }
}
