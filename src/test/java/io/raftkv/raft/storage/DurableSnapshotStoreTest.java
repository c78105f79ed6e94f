package io.raftkv.raft.storage;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotData;
import io.raftkv.raft.SnapshotMetadata;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurableSnapshotStoreTest {
    static final Membership MEMBERS = new Membership(List.of(new Peer("n1", "http://a:1"), new Peer("n2", "http://b:2"), new Peer("n3", "")));

    private final FaultyDisk disk = new FaultyDisk();

    private DurableSnapshotStore open() throws IOException {
        return DurableSnapshotStore.open(disk, DIR, new StorageHealth());
    }

    static Snapshot snapshot(long index, long term, int size) {
        byte[] data = new byte[size];
        new Random(index).nextBytes(data);
        return new Snapshot(new SnapshotMetadata(index, term, MEMBERS), data);
    }

    private static void assertSame(Snapshot actual, Snapshot expected) {
        assertThat(actual.metadata()).isEqualTo(expected.metadata());
        assertThat(actual.data()).isEqualTo(expected.data());
    }

    private List<String> snapshotFiles() throws IOException {
        return disk.list(DIR).stream().filter(n -> n.startsWith("snap-")).sorted().toList();
    }

    @Test
    void savedSnapshotsSurviveACrashAndOnlyTheNewestTwoAreKept() throws IOException {
        DurableSnapshotStore store = open();
        assertThat(store.latest()).isNull();
        for (long i = 1; i <= 4; i++) {
            store.save(snapshot(i * 100, i, 1000));
        }
        assertSame(store.latest(), snapshot(400, 4, 1000));
        assertThat(snapshotFiles()).containsExactly(DurableSnapshotStore.fileName(300, 3), DurableSnapshotStore.fileName(400, 4));
        disk.crash();
        assertSame(open().latest(), snapshot(400, 4, 1000));
    }

    @Test
    void aCrashAtEveryStepOfASaveLeavesTheOldSnapshotOrTheNewOneWhole() throws IOException {
        crashAtEveryStep(false);
    }

    @Test
    void aCrashAtEveryStepOfSavingASnapshotTakenLeavesTheOldSnapshotOrTheNewOneWhole() throws IOException {
        crashAtEveryStep(true);
    }

    private void crashAtEveryStep(boolean taken) throws IOException {
        Snapshot old = snapshot(100, 2, 3000);
        Snapshot next = snapshot(200, 3, 5000);
        open().save(old);
        FaultyDisk base = disk.copy();
        for (int step = 0; step < 30; step++) {
            FaultyDisk d = base.copy();
            DurableSnapshotStore store = DurableSnapshotStore.open(d, DIR, new StorageHealth());
            d.haltAfter(step);
            boolean returned = false;
            try {
                if (taken) {
                    assertThat(store.saveTaken(next)).isTrue();
                } else {
                    store.save(next);
                }
                returned = true;
            } catch (StorageFailedException expected) {
                // the power went out mid-save
            }
            d.crash(new Random(step));
            Snapshot recovered = DurableSnapshotStore.open(d, DIR, new StorageHealth()).latest();
            if (returned) {
                assertSame(recovered, next);
                return;
            }
            assertThat(recovered.index()).isIn(100L, 200L);
            assertSame(recovered, recovered.index() == 100 ? old : next);
        }
        throw new AssertionError("save never finished");
    }

    @Test
    void aSnapshotTakenNeverReplacesANewerOneReceivedBeforeOrWhileItWasWritten() throws IOException {
        DurableSnapshotStore store = open();
        store.save(snapshot(200, 2, 1000));
        assertThat(store.saveTaken(snapshot(100, 1, 1000))).as("older than the one saved").isFalse();
        assertSame(store.latest(), snapshot(200, 2, 1000));

        // The leader's snapshot arrives while this node's own, older one is being written beside the
        // Raft thread: the write finishes, finds itself superseded and leaves no file behind.
        Snapshot received = snapshot(400, 3, 1000);
        Snapshot own = snapshot(300, 2, 3000);
        SnapshotData arrivesMidWrite = new SnapshotData() {
            public long size() {
                return own.content().size();
            }

            public java.io.InputStream open() throws IOException {
                store.save(received);
                return own.content().open();
            }
        };
        assertThat(store.saveTaken(new Snapshot(own.metadata(), arrivesMidWrite))).isFalse();
        assertSame(store.latest(), received);
        assertThat(disk.list(DIR)).containsExactlyInAnyOrder(DurableSnapshotStore.fileName(200, 2), DurableSnapshotStore.fileName(400, 3));

        assertThat(store.saveTaken(snapshot(500, 3, 1000))).isTrue();
        disk.crash();
        assertSame(open().latest(), snapshot(500, 3, 1000));
        assertThat(snapshotFiles()).containsExactly(DurableSnapshotStore.fileName(400, 3), DurableSnapshotStore.fileName(500, 3));
    }

    @Test
    void aDamagedNewestSnapshotStopsTheStartInsteadOfFallingBack() throws IOException {
        DurableSnapshotStore store = open();
        store.save(snapshot(100, 1, 2000));
        store.save(snapshot(200, 2, 2000));
        Path newest = DIR.resolve(DurableSnapshotStore.fileName(200, 2));
        disk.flipBit(newest, 1500, 0);
        assertThatThrownBy(this::open).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining(newest.toString())
                .hasMessageContaining("data checksum mismatch")
                .hasMessageContaining(DurableSnapshotStore.fileName(100, 1))
                .hasMessageContaining("not used automatically");
    }

    @Test
    void aTruncatedSnapshotIsRefused() throws IOException {
        open().save(snapshot(100, 1, 2000));
        Path file = DIR.resolve(DurableSnapshotStore.fileName(100, 1));
        disk.cut(file, 1000);
        assertThatThrownBy(this::open).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("truncated");
    }

    @Test
    void theFileCarriesItsFormatVersionAndAnUnknownOneIsRefused() throws IOException {
        open().save(snapshot(100, 1, 10));
        Path file = DIR.resolve(DurableSnapshotStore.fileName(100, 1));
        assertThat(ByteBuffer.wrap(disk.contents(file)).getInt(4)).isEqualTo(FileFormat.VERSION);
        disk.overwrite(file, 4, new byte[] {0, 0, 0, 2});
        assertThatThrownBy(this::open).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining("unsupported snapshot format version 2; this release reads version 1");
    }

    @Test
    void aSnapshotStreamedInChunksArrivesWholeAndIsInstalledByRename() throws IOException {
        DurableSnapshotStore leader = open();
        Snapshot snap = snapshot(500, 7, 100_000);
        leader.save(snap);

        FaultyDisk followerDisk = new FaultyDisk();
        DurableSnapshotStore follower = DurableSnapshotStore.open(followerDisk, DIR, new StorageHealth());
        try (SnapshotSource source = leader.openSource(500, 7); SnapshotReceiver receiver = follower.receive()) {
            assertThat(source.metadata()).isEqualTo(snap.metadata());
            long offset = 0;
            SnapshotChunk chunk;
            do {
                chunk = source.read(offset, 8191);
                receiver.accept(chunk);
                offset += chunk.data().length;
            } while (!chunk.last());
            assertThat(offset).isEqualTo(source.size());
            Snapshot received = receiver.finish();
            assertSame(received, snap);

            long forcesBefore = followerDisk.forces();
            follower.save(received);
            assertThat(followerDisk.forces()).as("installed by rename, not rewritten").isEqualTo(forcesBefore);
        }
        followerDisk.crash();
        assertThat(followerDisk.contents(DIR.resolve(DurableSnapshotStore.fileName(500, 7))))
                .isEqualTo(disk.contents(DIR.resolve(DurableSnapshotStore.fileName(500, 7))));
        assertSame(DurableSnapshotStore.open(followerDisk, DIR, new StorageHealth()).latest(), snap);
        assertThat(followerDisk.list(DIR)).noneMatch(n -> n.endsWith(".tmp"));
    }

    @Test
    void aDamagedOrShortTransferIsRejectedAndLeavesNothingBehind() throws IOException {
        DurableSnapshotStore leader = open();
        leader.save(snapshot(500, 7, 20_000));
        FaultyDisk followerDisk = new FaultyDisk();
        DurableSnapshotStore follower = DurableSnapshotStore.open(followerDisk, DIR, new StorageHealth());
        try (SnapshotSource source = leader.openSource(500, 7)) {
            // one flipped bit on the wire
            try (SnapshotReceiver receiver = follower.receive()) {
                SnapshotChunk first = source.read(0, 12_000);
                first.data()[11_000] ^= 4;
                receiver.accept(first);
                receiver.accept(source.read(12_000, 12_000));
                assertThatThrownBy(receiver::finish).isInstanceOf(CorruptStorageException.class).hasMessageContaining("checksum");
            }
            // a transfer that stops half-way
            try (SnapshotReceiver receiver = follower.receive()) {
                receiver.accept(source.read(0, 12_000));
                assertThatThrownBy(receiver::finish).isInstanceOf(CorruptStorageException.class);
            }
            // chunks out of order
            try (SnapshotReceiver receiver = follower.receive()) {
                receiver.accept(source.read(0, 100));
                assertThatThrownBy(() -> receiver.accept(source.read(200, 100))).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("offset 200 but 100 bytes were received");
            }
        }
        assertThat(follower.latest()).isNull();
        assertThat(followerDisk.list(DIR)).noneMatch(n -> n.startsWith("receiving") || n.startsWith("snap-"));
    }

    @Test
    void anOlderSnapshotIsStillStreamableWhileANewerOneReplacesIt() throws IOException {
        DurableSnapshotStore store = open();
        store.save(snapshot(100, 1, 5000));
        SnapshotSource source = store.openSource(100, 1);
        store.save(snapshot(200, 1, 10));
        store.save(snapshot(300, 1, 10)); // deletes snapshot 100 from the directory
        assertThat(store.openSource(100, 1)).isNull();
        byte[] all = source.read(0, (int) source.size()).data();
        source.close();
        FaultyDisk elsewhere = new FaultyDisk();
        elsewhere.createDirectories(DIR);
        try (DiskFile f = elsewhere.create(DIR.resolve(DurableSnapshotStore.fileName(100, 1)))) {
            f.write(ByteBuffer.wrap(all), 0);
        }
        assertSame(DurableSnapshotStore.open(elsewhere, DIR, new StorageHealth()).latest(), snapshot(100, 1, 5000));
    }

    @Test
    void theNewestSnapshotIsReadFromItsFileEachTimeNotKeptOnTheHeap() throws IOException {
        DurableSnapshotStore store = open();
        store.save(snapshot(100, 1, 3_000_000));
        Snapshot latest = store.latest();
        assertThat(latest.content()).as("not the array it was saved from").isNotInstanceOf(SnapshotData.Chunks.class);
        assertSame(latest, snapshot(100, 1, 3_000_000));
        // Changed on disk after it was checked: reading it again fails at the end of the data rather
        // than restore a state machine from bytes that were not written.
        disk.flipBit(DIR.resolve(DurableSnapshotStore.fileName(100, 1)), 2_500_000, 3);
        assertThatThrownBy(latest::data).isInstanceOf(CorruptStorageException.class).hasMessageContaining("data checksum mismatch");
    }

    @Test
    void aSnapshotInChunksIsWrittenAsTheirConcatenation() throws IOException {
        byte[] whole = snapshot(100, 1, 2_500_001).data();
        List<byte[]> chunks = List.of(Arrays.copyOfRange(whole, 0, 1), Arrays.copyOfRange(whole, 1, 2_000_000),
                new byte[0], Arrays.copyOfRange(whole, 2_000_000, whole.length));
        open().save(new Snapshot(new SnapshotMetadata(100, 1, MEMBERS), SnapshotData.ofChunks(chunks)));
        disk.crash();
        assertSame(open().latest(), snapshot(100, 1, 2_500_001));
    }

    @Test
    void aReceivedSnapshotIsReadFromItsTemporaryFileUntilSavedThenFromItsOwn() throws IOException {
        DurableSnapshotStore leader = open();
        Snapshot snap = snapshot(500, 7, 50_000);
        leader.save(snap);
        DurableSnapshotStore follower = DurableSnapshotStore.open(new FaultyDisk(), DIR, new StorageHealth());
        Snapshot received;
        try (SnapshotSource source = leader.openSource(500, 7); SnapshotReceiver receiver = follower.receive()) {
            receiver.accept(source.read(0, (int) source.size()));
            received = receiver.finish();
        }
        assertSame(received, snap);
        follower.save(received);
        assertSame(received, snap);
        assertSame(follower.latest(), snap);
        follower.save(snapshot(600, 7, 10));
        follower.save(snapshot(700, 7, 10)); // the directory keeps the newest two
        assertThatThrownBy(received::data).isInstanceOf(UncheckedIOException.class)
                .rootCause().hasMessageContaining("no longer on disk");
    }
}
