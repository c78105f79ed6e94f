package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.LogCompactedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static io.raftkv.raft.storage.StorageFixtures.all;
import static io.raftkv.raft.storage.StorageFixtures.assertSameLog;
import static io.raftkv.raft.storage.StorageFixtures.entries;
import static io.raftkv.raft.storage.StorageFixtures.entry;
import static io.raftkv.raft.storage.StorageFixtures.openLog;
import static io.raftkv.raft.storage.StorageFixtures.randomEntries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurableLogStoreTest {
    private final FaultyDisk disk = new FaultyDisk();

    @Test
    void appendsSpanSegmentsAndSurviveReopenAndCrash() throws IOException {
        DurableLogStore log = openLog(disk);
        for (long i = 1; i <= 600; i += 7) {
            log.append(entries(i, Math.min(i + 6, 600), 1 + i / 100));
        }
        assertThat(log.segmentPaths()).hasSizeGreaterThan(5);
        List<Entry> before = all(log);
        log.close();

        DurableLogStore reopened = openLog(disk);
        assertThat(all(reopened)).isEqualTo(before);
        reopened.close();

        disk.crash(); // everything was acknowledged, so everything was synced
        DurableLogStore afterCrash = openLog(disk);
        assertThat(afterCrash.firstIndex()).isEqualTo(1);
        assertThat(afterCrash.term(0)).isZero();
        assertThat(all(afterCrash)).isEqualTo(before);
    }

    @Test
    void conflictingSuffixIsCutAcrossSegmentsWithoutRewritingThePrefix() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 400, 1));
        List<Path> segments = log.segmentPaths();
        assertThat(segments).hasSizeGreaterThan(4);
        long mutationsBefore = disk.mutations();

        // A new leader overwrites from index 150 (inside the second segment or so) on.
        log.append(entries(150, 170, 2));

        assertThat(log.lastIndex()).isEqualTo(170);
        assertThat(log.term(149)).isEqualTo(1);
        assertThat(log.term(150)).isEqualTo(2);
        assertThat(log.segmentPaths().size()).isLessThan(segments.size());
        assertThat(segments).containsAll(log.segmentPaths().subList(0, log.segmentPaths().size() - 1));
        // deletes + dir sync + truncate + write + fsync (+ maybe a roll): nowhere near a rewrite
        assertThat(disk.mutations() - mutationsBefore).isLessThan(20);
        List<Entry> expected = all(log);
        log.close();
        disk.crash();
        assertThat(all(openLog(disk))).isEqualTo(expected);
    }

    @Test
    void compactionDeletesWholeSegmentsAndKeepsTheTermAtTheCut() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 300, 1));
        log.append(entries(301, 500, 2));
        int segmentsBefore = log.segmentPaths().size();

        log.compact(350);

        assertThat(log.firstIndex()).isEqualTo(351);
        assertThat(log.term(350)).isEqualTo(2);
        assertThatThrownBy(() -> log.term(349)).isInstanceOf(LogCompactedException.class);
        assertThatThrownBy(() -> log.entries(350, 360, Long.MAX_VALUE)).isInstanceOf(LogCompactedException.class);
        assertThat(log.segmentPaths().size()).isLessThan(segmentsBefore);
        assertThat(disk.list(DIR).stream().filter(n -> n.endsWith(".wal"))).hasSize(log.segmentPaths().size());
        List<Entry> kept = all(log);
        String firstSegment = log.segmentPaths().get(0).getFileName().toString();
        log.close();
        disk.crash();

        // Reopened, the log starts at its first remaining segment: at or before the cut, never after.
        DurableLogStore reopened = openLog(disk);
        assertThat(reopened.firstIndex()).isLessThanOrEqualTo(351)
                .isEqualTo(Long.parseLong(firstSegment.substring(0, 20))).isGreaterThan(1);
        reopened.compact(350);
        assertThat(reopened.term(350)).isEqualTo(2);
        assertThat(all(reopened)).isEqualTo(kept);
    }

    /**
     * A compaction deletes at most one segment and each {@link DurableLogStore#tidy} one more, so no
     * single call unlinks all the files of a large compacted log (which held a node's Raft thread for
     * 0.4 s); a crash between them leaves a log that merely starts earlier.
     */
    @Test
    void compactionDeletesOneSegmentAndEachTidyOneMore() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 600, 1));
        int before = log.segmentPaths().size();
        assertThat(before).isGreaterThan(5);

        log.compact(550);
        assertThat(log.firstIndex()).isEqualTo(551);
        assertThat(log.segmentPaths()).hasSize(before - 1);
        List<Entry> kept = all(log);

        // Crashed here, the log reopens from its oldest remaining segment, well before the cut.
        log.close();
        disk.crash();
        log = openLog(disk);
        assertThat(log.firstIndex()).isLessThan(551);
        log.compact(550); // what RaftStorage.recover() does with the snapshot
        assertThat(all(log)).isEqualTo(kept);

        int tidies = 0;
        boolean more;
        do {
            int segments = log.segmentPaths().size();
            more = log.tidy();
            tidies++;
            assertThat(log.segmentPaths()).hasSize(segments - 1);
            assertThat(disk.list(DIR).stream().filter(n -> n.endsWith(".wal"))).hasSize(segments - 1);
            assertThat(disk.list(DIR)).as("discarded at once on this disk").noneMatch(n -> n.endsWith(".discard"));
            assertThat(all(log)).isEqualTo(kept);
        } while (more);
        assertThat(tidies).isGreaterThan(1);
        long oldest = Long.parseLong(log.segmentPaths().get(0).getFileName().toString().substring(0, 20));
        assertThat(oldest).as("the oldest segment left holds the first entry kept").isLessThanOrEqualTo(551);
        int left = log.segmentPaths().size();
        assertThat(log.tidy()).isFalse();
        assertThat(log.segmentPaths()).as("nothing more to delete").hasSize(left);

        log.close();
        disk.crash();
        DurableLogStore reopened = openLog(disk);
        assertThat(reopened.firstIndex()).isEqualTo(oldest);
    }

    /** A segment renamed for discarding whose unlink a crash lost is deleted when the log opens, unread. */
    @Test
    void aCompactedSegmentLeftBeingDiscardedIsDeletedAtOpen() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 50, 1));
        List<Entry> kept = all(log);
        log.close();
        Path leftover = DIR.resolve(DurableLogStore.segmentName(1) + DurableLogStore.DISCARD_SUFFIX);
        DiskFile f = disk.create(leftover);
        f.write(java.nio.ByteBuffer.wrap("not a segment".getBytes()), 0);
        f.force();
        f.close();
        disk.syncDirectory(DIR);

        DurableLogStore reopened = openLog(disk);
        assertThat(disk.list(DIR)).noneMatch(n -> n.endsWith(".discard"));
        assertThat(all(reopened)).isEqualTo(kept);
    }

    @Test
    void compactingEverythingKeepsTheSegmentBeingWritten() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 200, 3));
        log.compact(200);
        assertThat(log.firstIndex()).isEqualTo(201);
        assertThat(log.lastIndex()).isEqualTo(200);
        assertThat(log.term(200)).isEqualTo(3);
        log.append(entries(201, 210, 4));
        log.close();
        DurableLogStore reopened = openLog(disk);
        assertThat(reopened.lastIndex()).isEqualTo(210);
        assertThat(reopened.entries(201, 211, Long.MAX_VALUE)).isEqualTo(entries(201, 210, 4));
    }

    @Test
    void resetRestartsTheLogAfterASnapshotPoint() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 300, 1));
        log.reset(1000, 7);
        assertThat(log.firstIndex()).isEqualTo(1001);
        assertThat(log.lastIndex()).isEqualTo(1000);
        assertThat(log.term(1000)).isEqualTo(7);
        assertThat(log.segmentPaths()).hasSize(1);
        log.close();
        disk.crash();
        DurableLogStore reopened = openLog(disk);
        assertThat(reopened.firstIndex()).isEqualTo(1001);
        assertThat(reopened.term(1000)).isEqualTo(7);
        reopened.append(entries(1001, 1005, 8));
        assertThat(reopened.term(1005)).isEqualTo(8);
    }

    @Test
    void rejectsAppendsThatDoNotFit() throws IOException {
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 10, 1));
        assertThatThrownBy(() -> log.append(entries(12, 13, 1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> log.append(List.of(entry(11, 1), entry(13, 1)))).isInstanceOf(IllegalArgumentException.class);
        log.compact(5);
        assertThatThrownBy(() -> log.append(entries(5, 6, 1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(log.lastIndex()).isEqualTo(10);
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() throws IOException {
        openLog(disk);
        assertThatThrownBy(() -> openLog(disk)).hasMessageContaining("locked");
    }

    /**
     * Random appends (extending and overwriting), compactions, resets, reopens and crashes, checked
     * after every step against {@link io.raftkv.raft.storage.MemoryLogStore}: the durable log must be
     * indistinguishable from its in-memory twin, except that after a reopen it may start earlier.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void behavesLikeTheInMemoryTwin(long seed) throws IOException {
        Random r = new Random(seed);
        MemoryLogStore model = new MemoryLogStore();
        DurableLogStore log = openLog(disk);
        long term = 1;
        for (int step = 0; step < 150; step++) {
            int op = r.nextInt(100);
            if (op < 60) {
                long first = model.lastIndex() + 1;
                if (r.nextInt(4) == 0 && model.lastIndex() >= model.firstIndex()) {
                    first = model.firstIndex() + r.nextInt((int) (model.lastIndex() - model.firstIndex() + 1));
                    term++;
                }
                List<Entry> batch = randomEntries(r, first, 1 + r.nextInt(r.nextBoolean() ? 5 : 60), term);
                model.append(batch);
                log.append(batch);
            } else if (op < 70 && model.lastIndex() >= model.firstIndex()) {
                long to = model.firstIndex() + r.nextInt((int) (model.lastIndex() - model.firstIndex() + 1));
                model.compact(to);
                log.compact(to);
            } else if (op < 71) {
                while (log.tidy()) {
                    // compacted segments go one per call
                }
            } else if (op < 73) {
                long at = Math.max(0, model.lastIndex() + r.nextInt(40) - 20);
                term++;
                model.reset(at, term);
                log.reset(at, term);
            } else if (op < 85) {
                log.close();
                if (r.nextBoolean()) {
                    disk.crash(r);
                }
                log = openLog(disk);
                assertThat(log.firstIndex()).isLessThanOrEqualTo(model.firstIndex());
                if (log.firstIndex() < model.firstIndex()) {
                    log.compact(model.firstIndex() - 1); // what RaftStorage.recover() does with the snapshot
                }
            }
            assertSameLog(log, model);
        }
    }
}
