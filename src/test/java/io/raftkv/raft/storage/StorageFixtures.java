package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.LogStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared helpers for the storage tests. */
final class StorageFixtures {
    static final Path DIR = Path.of("/data/n1");

    /** Thousands of expected torn-tail warnings would bury real test output; held so the setting sticks. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger(DurableLogStore.class.getName());

    static {
        QUIET.setLevel(java.util.logging.Level.SEVERE);
    }

    private StorageFixtures() {
    }

    /** Small segments and a tiny cache, so that a few hundred entries cross segments and hit the disk. */
    static StorageOptions small() {
        return new StorageOptions(4096, 16, 1 << 20);
    }

    static DurableLogStore openLog(Disk disk) throws IOException {
        return DurableLogStore.open(disk, DIR, new StorageHealth(), small());
    }

    static Entry entry(long index, long term) {
        return entry(index, term, 10 + (int) (index % 37));
    }

    /** An entry whose data says where it belongs, so a misplaced entry cannot pass for the right one. */
    static Entry entry(long index, long term, int size) {
        byte[] data = new byte[size];
        byte[] tag = (index + "@" + term + ":").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            data[i] = tag[i % tag.length];
        }
        EntryType type = index % 50 == 7 ? EntryType.NOOP : EntryType.COMMAND;
        return new Entry(index, term, type, type == EntryType.NOOP ? new byte[0] : data);
    }

    static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i, term));
        }
        return out;
    }

    static List<Entry> randomEntries(Random r, long from, int n, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i < from + n; i++) {
            out.add(entry(i, term, r.nextInt(8) == 0 ? r.nextInt(3000) : r.nextInt(120)));
        }
        return out;
    }

    static List<Entry> all(LogStore log) {
        return log.entries(log.firstIndex(), log.lastIndex() + 1, Long.MAX_VALUE);
    }

    /** Everything a reader can observe, compared against the in-memory twin. */
    static void assertSameLog(LogStore actual, LogStore expected) {
        assertThat(actual.firstIndex()).as("firstIndex").isEqualTo(expected.firstIndex());
        assertThat(actual.lastIndex()).as("lastIndex").isEqualTo(expected.lastIndex());
        for (long i = expected.firstIndex() - 1; i <= expected.lastIndex(); i++) {
            assertThat(actual.term(i)).as("term(%d)", i).isEqualTo(expected.term(i));
        }
        if (expected.lastIndex() >= expected.firstIndex()) {
            assertThat(all(actual)).isEqualTo(all(expected));
            long mid = (expected.firstIndex() + expected.lastIndex()) / 2;
            for (long maxBytes : new long[] {0, 100, 1000, 5000}) {
                assertThat(actual.entries(mid, expected.lastIndex() + 1, maxBytes))
                        .as("entries(%d, ..., maxBytes=%d)", mid, maxBytes)
                        .isEqualTo(expected.entries(mid, expected.lastIndex() + 1, maxBytes));
            }
        }
    }
}
