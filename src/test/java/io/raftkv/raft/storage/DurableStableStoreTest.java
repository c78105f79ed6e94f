package io.raftkv.raft.storage;

import io.raftkv.raft.HardState;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurableStableStoreTest {
    private final FaultyDisk disk = new FaultyDisk();

    private DurableStableStore open() throws IOException {
        return DurableStableStore.open(disk, DIR, new StorageHealth());
    }

    @Test
    void aNewNodeHasEmptyHardStateAndSavedStateSurvivesACrash() throws IOException {
        DurableStableStore store = open();
        assertThat(store.load()).isEqualTo(HardState.EMPTY);
        store.save(new HardState(3, "n2"));
        store.save(new HardState(4, null));
        store.save(new HardState(4, "nœud-ü"));
        disk.crash();
        assertThat(open().load()).isEqualTo(new HardState(4, "nœud-ü"));
    }

    @Test
    void contactsSurviveACrashAndADirectoryFromBeforeThemMayHaveHeardFromAnyone() throws IOException {
        DurableStableStore store = open();
        assertThat(store.contacts()).isEmpty();
        store.addContact("n2");
        store.addContact("n3~3fa9c1");
        disk.crash();
        assertThat(open().contacts()).containsExactlyInAnyOrder("n2", "n3~3fa9c1");

        FaultyDisk fresh = new FaultyDisk();
        DurableStableStore.open(fresh, DIR, new StorageHealth()).save(new HardState(1, "n1"));
        assertThat(DurableStableStore.open(fresh, DIR, new StorageHealth()).contacts())
                .as("a new directory that voted before hearing from anyone").isEmpty();

        FaultyDisk legacy = new FaultyDisk();
        DurableStableStore.open(legacy, DIR, new StorageHealth()).save(new HardState(7, "n1"));
        legacy.delete(DIR.resolve(DurableStableStore.CONTACTS_FILE));
        assertThat(DurableStableStore.open(legacy, DIR, new StorageHealth()).contacts())
                .as("a hard state without a contacts file: it may have heard from anyone")
                .containsExactly(DurableStableStore.LEGACY_CONTACT);
    }

    @Test
    void aCorruptContactsFileStopsTheNode() throws IOException {
        open().addContact("n2");
        disk.flipBit(DIR.resolve(DurableStableStore.CONTACTS_FILE), 14, 2);
        assertThatThrownBy(this::open).isInstanceOf(CorruptStorageException.class).hasMessageContaining("contacts");
    }

    @Test
    void aCrashAtEveryStepOfASaveLeavesTheOldStateOrTheNewOneWhole() throws IOException {
        HardState old = new HardState(5, "n1");
        HardState next = new HardState(6, "n3");
        open().save(old);
        FaultyDisk base = disk.copy();
        boolean sawOld = false;
        boolean sawNew = false;
        for (int step = 0; ; step++) {
            for (int variant = 0; variant < 4; variant++) {
                FaultyDisk d = base.copy();
                DurableStableStore store = DurableStableStore.open(d, DIR, new StorageHealth());
                d.haltAfter(step);
                boolean returned;
                try {
                    store.save(next);
                    returned = true;
                } catch (StorageFailedException e) {
                    returned = false;
                }
                if (variant == 0) {
                    d.crash();
                } else {
                    d.crash(new Random(step * 31L + variant));
                }
                HardState recovered = DurableStableStore.open(d, DIR, new StorageHealth()).load();
                if (returned) {
                    assertThat(recovered).as("step %d: save returned, so it is durable", step).isEqualTo(next);
                } else {
                    assertThat(recovered).as("step %d", step).isIn(old, next);
                }
                sawOld |= recovered.equals(old);
                sawNew |= recovered.equals(next);
                if (returned && variant == 3) {
                    assertThat(sawOld && sawNew).isTrue();
                    return;
                }
            }
            assertThat(step).as("save should finish within a handful of steps").isLessThan(20);
        }
    }

    @Test
    void aDamagedHardStateFileIsRefused() throws IOException {
        open().save(new HardState(9, "n2"));
        disk.flipBit(DIR.resolve("hardstate"), 12, 3);
        assertThatThrownBy(this::open).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining(DIR.resolve("hardstate").toString()).hasMessageContaining("checksum");
    }

    @Test
    void theFileCarriesItsFormatVersionAndAnUnknownOneIsRefused() throws IOException {
        open().save(new HardState(9, "n2"));
        assertThat(ByteBuffer.wrap(disk.contents(DIR.resolve("hardstate"))).getInt(4)).isEqualTo(FileFormat.VERSION);
        disk.overwrite(DIR.resolve("hardstate"), 4, new byte[] {0, 0, 0, 9});
        assertThatThrownBy(this::open).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining("unsupported hard state file format version 9; this release reads version 1");
    }

    @Test
    void aFailedSaveLeavesTheOldStateAndRefusesFurtherWrites() throws IOException {
        StorageHealth health = new StorageHealth();
        DurableStableStore store = DurableStableStore.open(disk, DIR, health);
        store.save(new HardState(1, "n1"));
        disk.failWhen(op -> op.kind() == FaultyDisk.Kind.FORCE, "Input/output error");
        assertThatThrownBy(() -> store.save(new HardState(2, "n2"))).isInstanceOf(StorageFailedException.class)
                .hasMessageContaining("Input/output error");
        assertThat(store.load()).isEqualTo(new HardState(1, "n1"));
        assertThat(health.failure()).isPresent();
        disk.clearFaults();
        assertThatThrownBy(() -> store.save(new HardState(3, "n3"))).isInstanceOf(StorageFailedException.class)
                .hasMessageContaining("accepts no writes until the node restarts");
        disk.crash();
        assertThat(open().load()).isEqualTo(new HardState(1, "n1"));
    }
}
