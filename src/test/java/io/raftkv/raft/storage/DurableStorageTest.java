package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.HardState;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static io.raftkv.raft.storage.DurableSnapshotStoreTest.MEMBERS;
import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static io.raftkv.raft.storage.StorageFixtures.all;
import static io.raftkv.raft.storage.StorageFixtures.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The three stores together, as the node and the simulator use them. */
class DurableStorageTest {
    private final FaultyDisk disk = new FaultyDisk();

    private RaftStorage open(FaultyDisk d) throws IOException {
        return DurableStorage.open(d, DIR, StorageFixtures.small());
    }

    private static Snapshot snapshot(long index, long term) {
        return new Snapshot(new SnapshotMetadata(index, term, MEMBERS), ("state@" + index).getBytes());
    }

    /** A bootstrapped node with entries 1..300 of term 1 and hard state term 1. */
    private FaultyDisk populated() throws IOException {
        RaftStorage s = open(disk);
        s.bootstrap(MEMBERS);
        s.log().append(entries(1, 300, 1));
        s.stable().save(new HardState(1, "n1"));
        DurableStorage.close(s);
        return disk;
    }

    @Test
    void aBootstrappedNodeComesBackAfterACrashAndRaftNodeStartsOnIt() throws IOException {
        populated().crash();
        RaftStorage s = open(disk);
        assertThat(s.isBootstrapped()).isTrue();
        assertThat(s.snapshots().latest().metadata().membership()).isEqualTo(MEMBERS);
        assertThat(s.log().lastIndex()).isEqualTo(300);
        assertThat(s.stable().load()).isEqualTo(new HardState(1, "n1"));
        RaftNode node = new RaftNode(RaftConfig.defaults("n1"), s, new Random(1));
        assertThat(node.lastIndex()).isEqualTo(300);
        assertThat(DurableStorage.failure(s)).isEmpty();
    }

    @Test
    void theDirectoryIsLockedWhileOpen() throws IOException {
        RaftStorage s = open(disk);
        assertThatThrownBy(() -> open(disk)).isInstanceOf(IOException.class).hasMessageContaining("locked");
        DurableStorage.close(s);
        DurableStorage.close(open(disk));
    }

    @Test
    void aLogThatNoLongerReachesTheSnapshotIsRefused() throws IOException {
        populated();
        RaftStorage s = open(disk);
        List<java.nio.file.Path> segments = ((DurableLogStore) s.log()).segmentPaths();
        DurableStorage.close(s);
        disk.delete(segments.get(0));
        assertThatThrownBy(() -> open(disk)).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining(segments.get(1).toString())
                .hasMessageContaining("newest snapshot ends at 0").hasMessageContaining("missing");
    }

    /**
     * Runs {@code action} on a copy of {@code base}, cut by a power cut after each possible number
     * of disk operations, and checks the reopened storage with {@code check}.
     */
    private void crashAtEveryStep(FaultyDisk base, Consumer<RaftStorage> action, CrashCheck check) throws IOException {
        for (int step = 0; step < 200; step++) {
            FaultyDisk d = base.copy();
            RaftStorage s = open(d);
            d.haltAfter(step);
            boolean returned = false;
            try {
                action.accept(s);
                returned = true;
            } catch (StorageFailedException expected) {
                // power cut mid-way
            }
            d.crash(new Random(step));
            RaftStorage recovered = open(d);
            check.check(recovered, returned);
            new RaftNode(RaftConfig.defaults("n1"), recovered, new Random(step)); // the core accepts what recovery made
            if (returned) {
                return;
            }
        }
        throw new AssertionError("action never finished");
    }

    private interface CrashCheck {
        void check(RaftStorage s, boolean actionReturned);
    }

    @Test
    void installingALeadersSnapshotIsAtomicUnderACrashAtEveryStep() throws IOException {
        FaultyDisk base = populated();
        List<Entry> oldLog = all(open(base.copy()).log());
        Snapshot leaders = snapshot(500, 3);
        crashAtEveryStep(base, s -> s.installSnapshot(leaders), (s, returned) -> {
            Snapshot snap = s.snapshots().latest();
            if (snap.index() == 500) {
                assertThat(s.log().firstIndex() - 1).isEqualTo(500);
                assertThat(s.log().lastIndex()).isEqualTo(500);
                assertThat(s.log().term(500)).isEqualTo(3);
                assertThat(snap.data()).isEqualTo(leaders.data());
            } else {
                assertThat(returned).isFalse();
                assertThat(snap.index()).isZero();
                assertThat(all(s.log())).isEqualTo(oldLog);
            }
        });
    }

    @Test
    void aSnapshotThatConflictsWithTheLogReplacesItEvenAfterACrash() throws IOException {
        FaultyDisk base = populated();
        Snapshot conflicting = snapshot(200, 5); // the log holds 200 with term 1
        crashAtEveryStep(base, s -> s.installSnapshot(conflicting), (s, returned) -> {
            if (s.snapshots().latest().index() == 200) {
                assertThat(s.log().firstIndex() - 1).isEqualTo(200);
                assertThat(s.log().term(200)).isEqualTo(5);
                assertThat(s.log().lastIndex()).isEqualTo(200);
            } else {
                assertThat(s.log().lastIndex()).isEqualTo(300);
            }
        });
    }

    @Test
    void compactingAfterOwnSnapshotIsSafeUnderACrashAtEveryStep() throws IOException {
        FaultyDisk base = populated();
        List<Entry> oldLog = all(open(base.copy()).log());
        Snapshot own = snapshot(250, 1);
        crashAtEveryStep(base, s -> {
            s.compactTo(own, 50);
            assertThat(s.log().firstIndex() - 1).as("the trailing window is kept").isEqualTo(200);
        }, (s, returned) -> {
            long snapIndex = s.snapshots().latest().index();
            assertThat(snapIndex).isIn(0L, 250L);
            assertThat(s.log().firstIndex() - 1).isLessThanOrEqualTo(snapIndex);
            assertThat(s.log().lastIndex()).isEqualTo(300);
            assertThat(all(s.log())).isEqualTo(oldLog.subList((int) s.log().firstIndex() - 1, 300));
            if (returned) {
                // RaftStorage.recover() cuts the log back to the snapshot on every start
                assertThat(snapIndex).isEqualTo(250);
            }
        });
    }
}
