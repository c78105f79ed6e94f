package io.raftkv.raft.sim;

/**
 * The last events of a run, kept cheaply (objects, formatted only on failure) so that a failing seed
 * comes with a readable account of what led up to it.
 */
final class Trace {
    private final long[] times;
    private final String[] nodes;
    private final Object[] events;
    private long count;

    Trace(int capacity) {
        times = new long[capacity];
        nodes = new String[capacity];
        events = new Object[capacity];
    }

    void add(long time, String node, Object event) {
        int i = (int) (count++ % times.length);
        times[i] = time;
        nodes[i] = node;
        events[i] = event;
    }

    String render() {
        StringBuilder sb = new StringBuilder("  last events (ms  node  event):\n");
        long start = Math.max(0, count - times.length);
        for (long k = start; k < count; k++) {
            int i = (int) (k % times.length);
            sb.append(String.format("  %7d  %-4s %s%n", times[i], nodes[i] == null ? "-" : nodes[i], events[i]));
        }
        return sb.toString();
    }
}
