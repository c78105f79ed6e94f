package io.raftkv.config;

import io.raftkv.node.NodeLimits;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up warnings about a heap too small for raftkv's bounds or too large for the process's memory. */
class MemoryBudgetTest {
    private static final long MB = 1L << 20;

    private static java.util.List<String> withDefaultBounds(long heap, long memoryLimit) {
        NodeLimits limits = NodeLimits.forHeap(heap);
        return MemoryBudget.problems(heap, memoryLimit, limits.storeQuotaBytes(), limits.backpressure().maxPendingWriteBytes(),
                new CoordinationProperties.History(100000, null, java.time.Duration.ofMinutes(10)).maxBytes(heap));
    }

    @Test
    void theDefaultBoundsFitEveryHeapTheTestsAndTheChartUse() {
        // 128 MB: the smallest heap LimitsIT floods; 256 MB: the test clusters; 352 MB: the local cluster; 768 MB: the chart.
        for (long heap : new long[] {128 * MB, 256 * MB, 352 * MB, 768 * MB, 8192 * MB}) {
            assertThat(withDefaultBounds(heap, heap + MemoryBudget.NON_HEAP_BYTES)).as("heap %d MB", heap / MB).isEmpty();
        }
    }

    @Test
    void aHeapTooSmallForBoundsSetExplicitlyIsNamedWithTheBoundsThatNeedIt() {
        assertThat(MemoryBudget.problems(256 * MB, 4096 * MB, 128 * MB, 16 * MB, 16 * MB))
                .singleElement().asString()
                .contains("may need 360 MB", "max-store-size 128 MB", "max heap of 256 MB", "raise -Xmx");
    }

    @Test
    void aHeapThatLeavesTooLittleOfTheContainersLimitIsNamed() {
        // -XX:MaxRAMPercentage=90 in a 1 GiB container: 921 MB of heap and 200 MB more do not fit.
        assertThat(withDefaultBounds(921 * MB, 1024 * MB)).singleElement().asString()
                .contains("max heap of 921 MB", "within the 1024 MB", "kernel may kill");
        assertThat(withDefaultBounds(768 * MB, 1024 * MB)).isEmpty();
    }
}
