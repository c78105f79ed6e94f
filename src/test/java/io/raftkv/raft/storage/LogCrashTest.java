package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static io.raftkv.raft.storage.StorageFixtures.all;
import static io.raftkv.raft.storage.StorageFixtures.entries;
import static io.raftkv.raft.storage.StorageFixtures.openLog;
import static io.raftkv.raft.storage.StorageFixtures.randomEntries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Power cuts and damage: after each, recovery yields exactly the synced entries (or a prefix of an
 * append that was in flight), or refuses to start, naming the file and offset, when the damage is
 * not a torn tail.
 */
class LogCrashTest {

    /**
     * Random workloads cut by a power cut at a random step (possibly inside a write, an fsync, a
     * segment roll, a truncation or a compaction), after which a random part of what was not synced
     * survives, torn or not.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
    void powerCutAtAnyStepLosesNothingAcknowledged(int seedBlock) throws IOException {
        for (int seed = seedBlock * 40; seed < seedBlock * 40 + 40; seed++) {
            Random r = new Random(seed);
            FaultyDisk disk = new FaultyDisk();
            DurableLogStore log = openLog(disk);
            List<Entry> acked = new ArrayList<>(); // acked.get(i - 1) is entry i
            long ackedStart = 0;
            long compactingTo = 0; // a compaction in flight may have deleted segments up to here
            List<Entry> inFlight = null;
            long term = 1;
            disk.haltAfter(r.nextInt(400));
            try {
                for (int step = 0; step < 60; step++) {
                    if (r.nextInt(10) == 0 && acked.size() > ackedStart) {
                        long to = ackedStart + 1 + r.nextInt((int) (acked.size() - ackedStart));
                        compactingTo = to;
                        log.compact(to);
                        ackedStart = to;
                        continue;
                    }
                    long first = acked.size() + 1;
                    if (r.nextInt(5) == 0 && acked.size() > ackedStart) {
                        first = ackedStart + 1 + r.nextInt((int) (acked.size() - ackedStart));
                        term++;
                    }
                    List<Entry> batch = randomEntries(r, first, 1 + r.nextInt(40), term);
                    inFlight = new ArrayList<>(acked.subList(0, (int) first - 1));
                    inFlight.addAll(batch);
                    log.append(batch);
                    acked = inFlight;
                    inFlight = null;
                }
            } catch (StorageFailedException expected) {
                assertThat(expected).hasRootCauseMessage(expected.getCause().getMessage());
            }
            if (r.nextBoolean()) {
                disk.crash(r);
            } else {
                disk.crash();
            }

            DurableLogStore recovered = openLog(disk);
            assertThat(recovered.firstIndex() - 1).as("seed %d: start", seed).isLessThanOrEqualTo(Math.max(ackedStart, compactingTo));
            long from = Math.max(ackedStart + 1, recovered.firstIndex());
            List<Entry> got = recovered.entries(from, recovered.lastIndex() + 1, Long.MAX_VALUE);
            List<Entry> ackedPart = acked.subList((int) from - 1, acked.size());
            if (inFlight == null) {
                assertThat(got).as("seed %d: nothing was in flight", seed).isEqualTo(ackedPart);
            } else {
                // The append in flight may have landed in part: then the log is the old one cut at
                // the overwrite point plus a prefix of the new entries; either way every entry the
                // old and new logs agree on is still there.
                int common = 0;
                while (common < acked.size() && common < inFlight.size() && acked.get(common).equals(inFlight.get(common))) {
                    common++;
                }
                List<Entry> newPart = inFlight.subList((int) from - 1, inFlight.size());
                boolean prefixOfOld = ackedPart.subList(0, Math.min(got.size(), ackedPart.size())).equals(got)
                        && got.size() <= ackedPart.size();
                boolean prefixOfNew = got.size() <= newPart.size() && newPart.subList(0, got.size()).equals(got);
                assertThat(prefixOfOld || prefixOfNew).as("seed %d: prefix of old or new log", seed).isTrue();
                assertThat(recovered.lastIndex()).as("seed %d: agreed entries kept", seed).isGreaterThanOrEqualTo(common);
            }
            // ...and the recovered log takes new appends and survives another reopen.
            List<Entry> more = entries(recovered.lastIndex() + 1, recovered.lastIndex() + 20, term + 1);
            recovered.append(more);
            List<Entry> expected = all(recovered);
            recovered.close();
            disk.crash(r);
            assertThat(all(openLog(disk))).as("seed %d: after second reopen", seed).isEqualTo(expected);
        }
    }

    /** The log as built by {@link #syncedLog}: a few segments, the last holding several records. */
    private record Built(FaultyDisk disk, List<Entry> entries, Path lastSegment, long lastRecordOffset, long lastSegmentSize) {
    }

    private static Built syncedLog(int n) throws IOException {
        FaultyDisk disk = new FaultyDisk();
        DurableLogStore log = openLog(disk);
        for (long i = 1; i <= n; i += 5) {
            log.append(entries(i, Math.min(n, i + 4), 1 + i / 100));
        }
        List<Entry> entries = all(log);
        Path last = log.segmentPaths().get(log.segmentPaths().size() - 1);
        long size = disk.contents(last).length;
        Entry e = entries.get(n - 1);
        long recordBytes = DurableLogStore.FRAME_HEADER_BYTES + DurableLogStore.PAYLOAD_HEADER_BYTES + e.data().length;
        log.close();
        return new Built(disk, entries, last, size - recordBytes, size);
    }

    @Test
    void aLastRecordCutAtEveryByteOffsetIsDroppedAndNothingElse() throws IOException {
        Built b = syncedLog(250);
        assertThat(b.lastRecordOffset()).isGreaterThan(DurableLogStore.SEGMENT_HEADER_BYTES);
        for (long cut = b.lastRecordOffset(); cut <= b.lastSegmentSize(); cut++) {
            FaultyDisk disk = b.disk().copy();
            disk.cut(b.lastSegment(), cut);
            DurableLogStore log = openLog(disk);
            int expected = cut == b.lastSegmentSize() ? 250 : 249;
            assertThat(all(log)).as("cut at %d", cut).isEqualTo(b.entries().subList(0, expected));
            // the torn bytes are gone from the file, so the next record starts clean
            assertThat(disk.contents(b.lastSegment()).length).isEqualTo(cut == b.lastSegmentSize() ? cut : b.lastRecordOffset());
        }
    }

    @Test
    void theFirstRecordOfAFreshSegmentCutAnywhereLeavesTheEmptySegment() throws IOException {
        FaultyDisk disk = new FaultyDisk();
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 100, 1));
        int segments = log.segmentPaths().size();
        List<Entry> before = all(log);
        // one entry larger than a segment is alone in a fresh one
        log.append(List.of(StorageFixtures.entry(101, 1, 5000)));
        assertThat(log.segmentPaths()).hasSize(segments + 1);
        Path last = log.segmentPaths().get(segments);
        log.close();
        long size = disk.contents(last).length;
        for (long cut = DurableLogStore.SEGMENT_HEADER_BYTES; cut < size; cut += 7) {
            FaultyDisk d = disk.copy();
            d.cut(last, cut);
            DurableLogStore reopened = openLog(d);
            assertThat(all(reopened)).isEqualTo(before);
            reopened.append(entries(101, 102, 2));
            assertThat(reopened.term(101)).isEqualTo(2);
        }
    }

    @Test
    void aTornRecordInASegmentThatIsNotTheLastIsCorruption() throws IOException {
        Built b = syncedLog(250);
        FaultyDisk disk = b.disk().copy();
        DurableLogStore log = openLog(disk);
        Path first = log.segmentPaths().get(0);
        log.close();
        long size = disk.contents(first).length;
        disk.cut(first, size - 3);
        CorruptStorageException e = catchThrowableOfType(() -> openLog(disk), CorruptStorageException.class);
        assertThat(e.file()).isEqualTo(first);
        assertThat(e).hasMessageContaining(first.toString()).hasMessageContaining("not the last");
    }

    @Test
    void zerosAfterTheLastRecordAreATornTail() throws IOException {
        Built b = syncedLog(120);
        FaultyDisk disk = b.disk();
        disk.overwrite(b.lastSegment(), b.lastSegmentSize(), new byte[300]); // size grew, data never landed
        assertThat(all(openLog(disk))).isEqualTo(b.entries());
        assertThat(disk.contents(b.lastSegment())).hasSize((int) b.lastSegmentSize());
    }

    @Test
    void aFinalRecordWithAZeroedSectorIsATornTailButNotInAnEarlierRecord() throws IOException {
        FaultyDisk disk = new FaultyDisk();
        DurableLogStore log = openLog(disk);
        log.append(entries(1, 20, 1));
        List<Entry> before = all(log);
        log.append(List.of(StorageFixtures.entry(21, 1, 1500))); // spans sectors
        Path last = log.segmentPaths().get(log.segmentPaths().size() - 1);
        long size = disk.contents(last).length;
        log.close();
        long recordStart = size - (DurableLogStore.FRAME_HEADER_BYTES + DurableLogStore.PAYLOAD_HEADER_BYTES + 1500);
        long sector = (recordStart / 512 + 2) * 512; // a whole sector inside the record's data

        FaultyDisk zeroedLast = disk.copy();
        zeroedLast.overwrite(last, sector, new byte[512]);
        assertThat(all(openLog(zeroedLast))).isEqualTo(before);

        // The same zeros in a record that has records after it are damage, not a crash.
        DurableLogStore more = openLog(disk);
        more.append(entries(22, 25, 1));
        more.close();
        disk.overwrite(last, sector, new byte[512]);
        CorruptStorageException e = catchThrowableOfType(() -> openLog(disk), CorruptStorageException.class);
        assertThat(e.file()).isEqualTo(last);
        assertThat(e.offset()).isEqualTo(recordStart);
    }

    @Test
    void aFlippedBitInTheLastRecordIsRefusedNotSilentlyDropped() throws IOException {
        // The last record is complete and was synced (acknowledged); a bad checksum there is damage,
        // not a torn write, so the node refuses rather than forgetting an acknowledged entry.
        Built b = syncedLog(250);
        for (long at = b.lastRecordOffset(); at < b.lastSegmentSize(); at++) {
            FaultyDisk disk = b.disk().copy();
            disk.flipBit(b.lastSegment(), at, (int) (at % 8));
            CorruptStorageException e = catchThrowableOfType(() -> openLog(disk), CorruptStorageException.class);
            assertThat(e).as("flip at %d", at).isNotNull();
            assertThat(e.file()).isEqualTo(b.lastSegment());
            assertThat(e.offset()).isEqualTo(b.lastRecordOffset());
            assertThat(e.getMessage()).contains(b.lastSegment().toString(), "offset " + b.lastRecordOffset());
        }
    }

    @Test
    void aFlippedBitAnywhereInTheMiddleIsRefusedWithFileAndOffset() throws IOException {
        Built b = syncedLog(250);
        DurableLogStore log = openLog(b.disk().copy());
        List<Path> segments = log.segmentPaths();
        log.close();
        Random r = new Random(42);
        for (Path segment : segments) {
            byte[] bytes = b.disk().contents(segment);
            for (int k = 0; k < 40; k++) {
                int at = r.nextInt(segment.equals(b.lastSegment()) ? (int) b.lastRecordOffset() : bytes.length);
                FaultyDisk disk = b.disk().copy();
                disk.flipBit(segment, at, r.nextInt(8));
                CorruptStorageException e = catchThrowableOfType(() -> openLog(disk), CorruptStorageException.class);
                assertThat(e).as("flip at %s:%d", segment, at).isNotNull();
                assertThat(e.file()).isEqualTo(segment);
                assertThat(e.offset()).isLessThanOrEqualTo(at).isGreaterThan(at - 3000);
            }
        }
    }

    @Test
    void aMissingSegmentInTheMiddleIsRefused() throws IOException {
        Built b = syncedLog(300);
        FaultyDisk disk = b.disk();
        DurableLogStore log = openLog(disk);
        List<Path> segments = log.segmentPaths();
        log.close();
        disk.delete(segments.get(2));
        CorruptStorageException e = catchThrowableOfType(() -> openLog(disk), CorruptStorageException.class);
        assertThat(e.file()).isEqualTo(segments.get(3));
        assertThat(e).hasMessageContaining("missing").hasMessageContaining(segments.get(1).getFileName().toString());
    }

    @Test
    void aSegmentHeaderIsNeverTornSoAShortOneIsRefused() throws IOException {
        Built b = syncedLog(100);
        b.disk().cut(b.lastSegment(), 20);
        assertThatThrownBy(() -> openLog(b.disk())).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining(b.lastSegment().toString()).hasMessageContaining("incomplete");
    }

    @Test
    void everySegmentCarriesItsFormatVersionAndAnUnknownOneIsRefused() throws IOException {
        Built b = syncedLog(100);
        byte[] bytes = b.disk().contents(b.lastSegment());
        assertThat(java.nio.ByteBuffer.wrap(bytes).getInt(4)).isEqualTo(FileFormat.VERSION);
        b.disk().overwrite(b.lastSegment(), 4, new byte[] {0, 0, 0, 2});
        assertThatThrownBy(() -> openLog(b.disk())).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining(b.lastSegment().toString())
                .hasMessageContaining("unsupported log segment format version 2; this release reads version 1")
                .hasMessageContaining("newer release");
    }

    @Test
    void leftoverTemporarySegmentsAreRemoved() throws IOException {
        Built b = syncedLog(50);
        b.disk().create(DIR.resolve(DurableLogStore.segmentName(51) + ".tmp"));
        openLog(b.disk()).close();
        assertThat(b.disk().list(DIR)).noneMatch(n -> n.endsWith(".tmp"));
    }
}
