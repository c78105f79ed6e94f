package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.HardState;
import io.raftkv.raft.RaftStorage;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static io.raftkv.raft.storage.DurableSnapshotStoreTest.MEMBERS;
import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static io.raftkv.raft.storage.StorageFixtures.all;
import static io.raftkv.raft.storage.StorageFixtures.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Disk full and I/O errors: writes stop with a clear error, nothing on disk is damaged, a restart recovers. */
class StorageFailureTest {
    private final FaultyDisk disk = new FaultyDisk();

    private RaftStorage open() throws IOException {
        return DurableStorage.open(disk, DIR, StorageFixtures.small());
    }

    private RaftStorage withEntries(int n) throws IOException {
        RaftStorage s = open();
        s.bootstrap(MEMBERS);
        s.log().append(entries(1, n, 1));
        s.stable().save(new HardState(1, "n1"));
        return s;
    }

    private void assertFailedButReadable(RaftStorage s, List<Entry> acked, String cause) {
        assertThat(DurableStorage.failure(s)).get().extracting(Throwable::getMessage).asString().contains(cause);
        assertThatThrownBy(() -> s.log().append(entries(acked.size() + 1, acked.size() + 1, 1)))
                .isInstanceOf(StorageFailedException.class).hasMessageContaining("accepts no writes until the node restarts");
        assertThatThrownBy(() -> s.stable().save(new HardState(9, null))).isInstanceOf(StorageFailedException.class);
        assertThat(all(s.log())).isEqualTo(acked); // what was acknowledged is still served
    }

    /** After the failure: a restart (with or without a power cut) gives exactly the acknowledged entries and accepts writes. */
    private void assertRestartRecovers(RaftStorage s, List<Entry> acked, boolean crash) throws IOException {
        DurableStorage.close(s);
        disk.clearFaults();
        if (crash) {
            disk.crash();
        }
        RaftStorage reopened = open();
        assertThat(all(reopened.log())).isEqualTo(acked);
        assertThat(reopened.stable().load()).isEqualTo(new HardState(1, "n1"));
        reopened.log().append(entries(acked.size() + 1, acked.size() + 50, 2));
        assertThat(reopened.log().lastIndex()).isEqualTo(acked.size() + 50);
        assertThat(DurableStorage.failure(reopened)).isEmpty();
    }

    @Test
    void diskFullDuringAnAppendStopsWritesAndLeavesTheLogIntact() throws IOException {
        for (boolean crash : new boolean[] {false, true}) {
            FaultyDisk fresh = new FaultyDisk();
            RaftStorage s = DurableStorage.open(fresh, DIR, StorageFixtures.small());
            s.bootstrap(MEMBERS);
            s.log().append(entries(1, 100, 1));
            s.stable().save(new HardState(1, "n1"));
            List<Entry> acked = all(s.log());
            long used = 0;
            for (String name : fresh.list(DIR)) {
                used += name.equals("LOCK") ? 0 : fresh.contents(DIR.resolve(name)).length;
            }
            fresh.setCapacity(used + 150); // room for part of the next batch only
            assertThatThrownBy(() -> s.log().append(entries(101, 110, 1)))
                    .isInstanceOf(StorageFailedException.class).hasMessageContaining("No space left on device");
            assertFailedButReadable(s, acked, "No space left on device");
            DurableStorage.close(s);
            fresh.clearFaults();
            if (crash) {
                fresh.crash();
            }
            RaftStorage reopened = DurableStorage.open(fresh, DIR, StorageFixtures.small());
            // The records of the failed batch that were written whole may still be there (never
            // acknowledged, like any append cut short by a crash); the partial one is cut.
            List<Entry> attempted = new java.util.ArrayList<>(acked);
            attempted.addAll(entries(101, 110, 1));
            List<Entry> got = all(reopened.log());
            assertThat(got.size()).as("crash=%s", crash).isBetween(100, 109);
            assertThat(got).isEqualTo(attempted.subList(0, got.size()));
            if (crash) {
                assertThat(got).isEqualTo(acked); // none of it was synced
            }
            reopened.log().append(entries(101, 110, 2));
            assertThat(reopened.log().term(110)).isEqualTo(2);
        }
    }

    @Test
    void aFailedFsyncIsNeverRetriedAndTheEntriesAreNotAcknowledged() throws IOException {
        RaftStorage s = withEntries(100);
        List<Entry> acked = all(s.log());
        disk.failWhen(op -> op.kind() == FaultyDisk.Kind.FORCE && op.fileName().endsWith(".wal"), "Input/output error");
        assertThatThrownBy(() -> s.log().append(entries(101, 105, 1))).isInstanceOf(StorageFailedException.class)
                .hasMessageContaining("appending entries 101..105").hasMessageContaining("Input/output error");
        assertThat(s.log().lastIndex()).isEqualTo(100);
        disk.clearFaults(); // even if the disk "recovers", the node must not trust an fsync after a failed one
        assertFailedButReadable(s, acked, "Input/output error");
        assertRestartRecovers(s, acked, true);
    }

    @Test
    void aFailureWhileStartingANewSegmentStopsWrites() throws IOException {
        RaftStorage s = withEntries(50);
        List<Entry> acked = all(s.log());
        disk.failWhen(op -> op.kind() == FaultyDisk.Kind.RENAME && op.fileName().endsWith(".wal.tmp"), "Read-only file system");
        assertThatThrownBy(() -> s.log().append(entries(51, 400, 1))).isInstanceOf(StorageFailedException.class)
                .hasMessageContaining("Read-only file system");
        // entries that filled the old segment were synced before the roll was tried; none are acknowledged
        assertThat(s.log().lastIndex()).isBetween(50L, 399L);
        assertRestartRecovers(s, all(s.log()), true);
    }

    @Test
    void aFailedHardStateSaveStopsTheLogToo() throws IOException {
        RaftStorage s = withEntries(20);
        List<Entry> acked = all(s.log());
        disk.failWhen(op -> op.kind() == FaultyDisk.Kind.RENAME && op.fileName().startsWith("hardstate"), "No space left on device");
        assertThatThrownBy(() -> s.stable().save(new HardState(2, "n2"))).isInstanceOf(StorageFailedException.class);
        assertThat(s.stable().load()).isEqualTo(new HardState(1, "n1"));
        assertFailedButReadable(s, acked, "No space left on device");
        assertRestartRecovers(s, acked, false);
    }

    @Test
    void aFailedSnapshotSaveKeepsTheOldSnapshot() throws IOException {
        RaftStorage s = withEntries(20);
        disk.failWhen(op -> op.kind() == FaultyDisk.Kind.WRITE && op.fileName().endsWith(".snap.tmp"), "No space left on device");
        var snap = new io.raftkv.raft.Snapshot(new io.raftkv.raft.SnapshotMetadata(10, 1, MEMBERS), new byte[100]);
        assertThatThrownBy(() -> s.compactTo(snap, 0)).isInstanceOf(StorageFailedException.class);
        assertThat(s.snapshots().latest().index()).isZero();
        assertThat(s.log().firstIndex()).isEqualTo(1); // compaction never ran
        assertFailedButReadable(s, all(s.log()), "No space left on device");
        assertRestartRecovers(s, all(s.log()), true);
    }
}
