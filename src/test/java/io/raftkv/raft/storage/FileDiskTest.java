package io.raftkv.raft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class FileDiskTest {
    @TempDir
    Path dir;

    /** A discard is carried out by the process's discard thread, a daemon, not by its caller. */
    @Test
    void aDiscardedFileIsDeletedByTheDiscardThread() throws Exception {
        Path file = Files.write(dir.resolve("00000000000000000001.wal.discard"), new byte[1 << 20]);
        FileDisk.INSTANCE.discard(file);
        FileDisk.INSTANCE.discard(dir.resolve("absent")); // nothing to delete is no error
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(file)) {
            assertThat(System.nanoTime()).as(file + " deleted").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(Thread.getAllStackTraces().keySet()).anySatisfy(t -> {
            assertThat(t.getName()).isEqualTo("raftkv-file-discard");
            assertThat(t.isDaemon()).isTrue();
        });
    }
}
