package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;

import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static org.assertj.core.api.Assertions.assertThat;

/** What the store quota counts: {@link KvStateMachine#storedBytes()}, kept in step with every change. */
class StoredBytesTest {
    private final KvStateMachine sm = new KvStateMachine();

    @Test
    void everyKeyCostsItsBytesPlusAFixedOverheadAndDeletingGivesItBack() {
        assertThat(sm.storedBytes()).isZero();
        sm.apply(1, new KvCommand.Put("ключ", new byte[100], "text/plain", Precondition.NONE, null, 0));
        long one = KvStateMachine.entryCost("ключ", 100, "text/plain");
        assertThat(one).isEqualTo(256 + "ключ".getBytes(StandardCharsets.UTF_8).length + 100 + 10);
        assertThat(sm.storedBytes()).isEqualTo(one);

        sm.apply(2, new KvCommand.Put("ключ", new byte[40], null, Precondition.NONE, null, 0));
        assertThat(sm.storedBytes()).as("a replaced value counts only once, at its new size")
                .isEqualTo(KvStateMachine.entryCost("ключ", 40, null));

        sm.apply(3, put("b", "xyz"));
        sm.apply(4, delete("ключ"));
        sm.apply(5, delete("b"));
        assertThat(sm.storedBytes()).isZero();
    }

    @Test
    void rememberedIdempotencyOutcomesCountToo() {
        sm.apply(1, put("k", "v", Precondition.NONE, "idem-1", 1000));
        sm.apply(2, delete("k", Precondition.NONE, "idem-2", 1001));
        assertThat(sm.keyCount()).isZero();
        assertThat(sm.storedBytes()).isEqualTo(2 * KvStateMachine.IDEMPOTENCY_ENTRY_COST);
    }

    @Test
    void aRestoredSnapshotCountsTheSameAsTheStateItWasTakenFrom() throws Exception {
        for (int i = 1; i <= 200; i++) {
            sm.apply(i, new KvCommand.Put("key/" + (i % 50), new byte[i], i % 2 == 0 ? "text/plain" : null,
                    Precondition.NONE, i % 3 == 0 ? "idem-" + i : null, i));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.writeSnapshot(out);
        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(restored.storedBytes()).isEqualTo(sm.storedBytes()).isPositive();
    }

    /**
     * The per-key overhead must not under-count the heap: the quota is only a heap bound if it
     * over-counts. Measured with small keys and values, where the overhead matters most.
     */
    @Test
    void theCountIsAtLeastTheHeapTheKeysReallyUse() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        KvStateMachine big = new KvStateMachine();
        long before = usedAfterGc(mem);
        int n = 100_000;
        for (int i = 1; i <= n; i++) {
            // Distinct content type strings per key, as requests bring them (nothing is interned).
            big.apply(i, new KvCommand.Put("k" + i, new byte[8], new String("text/plain".toCharArray()),
                    Precondition.NONE, null, 0));
        }
        long after = usedAfterGc(mem);
        long heapPerKey = (after - before) / n;
        long countedPerKey = big.storedBytes() / n;
        System.out.printf("stored-bytes accounting: %d keys, heap %d B/key, counted %d B/key%n", n, heapPerKey, countedPerKey);
        assertThat(big.keyCount()).isEqualTo(n);
        assertThat(countedPerKey).isGreaterThanOrEqualTo(heapPerKey);
    }

    private static long usedAfterGc(MemoryMXBean mem) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mem.getHeapMemoryUsage().getUsed();
    }
}
