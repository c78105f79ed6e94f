package io.raftkv.raft.storage;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The crash tests are only as good as the disk model under them, so the model gets its own checks. */
class FaultyDiskTest {
    private static final Path DIR = Path.of("/d");
    private final FaultyDisk disk = new FaultyDisk();

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes());
    }

    private String read(Path p) throws IOException {
        return new String(disk.contents(p));
    }

    @Test
    void crashDropsUnsyncedDataAndUnsyncedNames() throws IOException {
        disk.createDirectories(DIR);
        DiskFile a = disk.create(DIR.resolve("a"));
        a.write(bytes("synced"), 0);
        a.force();
        disk.syncDirectory(DIR);
        a.write(bytes("+lost"), 6);
        disk.create(DIR.resolve("b")).write(bytes("new file"), 0);

        disk.crash();

        assertThat(disk.list(DIR)).containsExactly("a");
        assertThat(read(DIR.resolve("a"))).isEqualTo("synced");
        assertThatThrownBy(() -> a.write(bytes("x"), 0)).hasMessageContaining("before a crash");
    }

    @Test
    void renameSurvivesOnlyAfterDirectorySync() throws IOException {
        disk.createDirectories(DIR);
        DiskFile t = disk.create(DIR.resolve("t"));
        t.write(bytes("v1"), 0);
        t.force();
        disk.syncDirectory(DIR);
        disk.rename(DIR.resolve("t"), DIR.resolve("final"));
        FaultyDisk lost = disk.copy();
        lost.crash();
        assertThat(lost.list(DIR)).containsExactly("t");

        disk.syncDirectory(DIR);
        disk.crash();
        assertThat(disk.list(DIR)).containsExactly("final");
        assertThat(read(DIR.resolve("final"))).isEqualTo("v1");
    }

    @Test
    void randomCrashKeepsAPrefixOfUnsyncedWritesPossiblyTorn() throws IOException {
        boolean sawTorn = false;
        boolean sawNone = false;
        boolean sawAll = false;
        for (int seed = 0; seed < 200; seed++) {
            FaultyDisk d = new FaultyDisk();
            d.createDirectories(DIR);
            DiskFile f = d.create(DIR.resolve("f"));
            d.syncDirectory(DIR);
            f.write(bytes("AAAA"), 0);
            f.force();
            f.write(bytes("BBBB"), 4);
            f.write(bytes("CCCC"), 8);
            d.crash(new Random(seed));
            String s = new String(d.contents(DIR.resolve("f")));
            assertThat("AAAABBBBCCCC").startsWith(s);
            assertThat(s).startsWith("AAAA");
            sawNone |= s.equals("AAAA");
            sawAll |= s.length() == 12;
            sawTorn |= s.length() % 4 != 0;
        }
        assertThat(sawNone && sawAll && sawTorn).isTrue();
    }

    @Test
    void fullDiskWritesWhatFitsThenFails() throws IOException {
        disk.createDirectories(DIR);
        DiskFile f = disk.create(DIR.resolve("f"));
        disk.setCapacity(5);
        assertThatThrownBy(() -> f.write(bytes("0123456789"), 0)).hasMessage("No space left on device");
        assertThat(read(DIR.resolve("f"))).isEqualTo("01234");
    }

    @Test
    void haltStopsEveryOperationAfterTheGivenNumber() throws IOException {
        disk.createDirectories(DIR);
        disk.haltAfter(2);
        DiskFile f = disk.create(DIR.resolve("f"));
        f.write(bytes("x"), 0);
        assertThatThrownBy(f::force).hasMessageContaining("power cut");
        assertThatThrownBy(() -> f.read(ByteBuffer.allocate(1), 0)).hasMessageContaining("power cut");
        disk.crash();
        assertThat(disk.list(DIR)).isEmpty();
    }

    @Test
    void lockIsExclusiveUntilClosedOrCrashed() throws IOException {
        disk.createDirectories(DIR);
        var lock = disk.lock(DIR.resolve("LOCK"));
        assertThatThrownBy(() -> disk.lock(DIR.resolve("LOCK"))).hasMessageContaining("locked");
        lock.close();
        disk.lock(DIR.resolve("LOCK"));
        disk.crash();
        disk.lock(DIR.resolve("LOCK"));
    }
}
