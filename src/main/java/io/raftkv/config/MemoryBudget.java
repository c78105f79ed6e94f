package io.raftkv.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether the heap fits both raftkv's own bounds and the memory the process may use, checked once at
 * start-up. The heap is the operator's choice ({@code -Xmx} or {@code -XX:MaxRAMPercentage}, see the
 * README's "Memory and start-up"). The bounds follow it by default ({@link io.raftkv.node.NodeLimits}),
 * but a bound set explicitly does not, and a heap set without regard to the container's limit gets
 * the node killed by the kernel instead of answered with a 507 or a 429.
 */
final class MemoryBudget {
    /**
     * What the process needs besides the heap, measured with native memory tracking on a node under
     * the benchmark: metaspace and class space, compiled code, thread stacks, GC structures, buffers,
     * and the mapped class data sharing archive.
     */
    static final long NON_HEAP_BYTES = 200L << 20;
    /** What the heap holds whatever the bounds: the JVM and Spring (about 20 MB live) and the 16 MB log entry cache. */
    static final long FIXED_HEAP_BYTES = 40L << 20;

    private MemoryBudget() {
    }

    /**
     * @param maxHeap     the JVM's max heap
     * @param memoryLimit the memory the process may use: the container's limit, else the machine's
     * @return one sentence per problem; empty when the heap fits
     */
    static List<String> problems(long maxHeap, long memoryLimit, long storeQuota, long pendingWriteBytes, long watchHistoryBytes) {
        List<String> problems = new ArrayList<>();
        // Each stored byte can be on the heap twice at once and each pending write three times (NodeLimits).
        long needed = 2 * storeQuota + 3 * pendingWriteBytes + watchHistoryBytes + FIXED_HEAP_BYTES;
        if (needed > maxHeap) {
            problems.add(String.format("raftkv's bounds may need %d MB of heap at once (2 x raftkv.limits.max-store-size %d MB,"
                    + " 3 x max-pending-bytes %d MB, raftkv.watch.history.max-bytes %d MB and %d MB of its own), more than"
                    + " the max heap of %d MB: raise -Xmx or lower those bounds", mb(needed), mb(storeQuota),
                    mb(pendingWriteBytes), mb(watchHistoryBytes), mb(FIXED_HEAP_BYTES), mb(maxHeap)));
        }
        if (maxHeap + NON_HEAP_BYTES > memoryLimit) {
            problems.add(String.format("the max heap of %d MB leaves less than the %d MB the JVM needs besides the heap"
                    + " within the %d MB this process may use (its container's limit, or the machine's memory): the"
                    + " kernel may kill the node; lower -Xmx or -XX:MaxRAMPercentage, or raise the limit",
                    mb(maxHeap), mb(NON_HEAP_BYTES), mb(memoryLimit)));
        }
        return problems;
    }

    private static long mb(long bytes) {
        return bytes >> 20;
    }
}
