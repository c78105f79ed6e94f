package io.raftkv.raft;

import java.util.Arrays;
import java.util.Objects;

/** One log entry. {@code data} is opaque to the core except for {@link EntryType#MEMBERSHIP}. */
public record Entry(long index, long term, EntryType type, byte[] data) {

    /** Fixed per-entry overhead counted against message and batch byte limits. */
    public static final int OVERHEAD_BYTES = 24;

    public Entry {
        Objects.requireNonNull(type, "type");
        data = data == null ? new byte[0] : data;
    }

    public static Entry command(long index, long term, byte[] data) {
        return new Entry(index, term, EntryType.COMMAND, data);
    }

    public static Entry noop(long index, long term) {
        return new Entry(index, term, EntryType.NOOP, new byte[0]);
    }

    public long sizeBytes() {
        return data.length + OVERHEAD_BYTES;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.index == index && e.term == term && e.type == type
                && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return type + "(" + index + "@" + term + "," + data.length + "B)";
    }
}
