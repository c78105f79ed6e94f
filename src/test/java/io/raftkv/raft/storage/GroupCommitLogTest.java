package io.raftkv.raft.storage;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.raftkv.raft.storage.StorageFixtures.openLog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupCommitLogTest {

    @Test
    void entriesThatArriveDuringAnFsyncShareTheNextOne() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        DurableLogStore log = openLog(disk);
        log.reset(0, 0); // create the first segment now, so every later fsync is an append's
        CountDownLatch firstFsyncStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        disk.beforeForce(() -> {
            if (first.getAndSet(false)) {
                firstFsyncStarted.countDown();
                await(release);
            }
        });
        try (GroupCommitLog front = new GroupCommitLog(log, 1, 10_000)) {
            CompletableFuture<Long> lone = front.submit("first".getBytes());
            assertThat(firstFsyncStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<Long>> waiting = new ArrayList<>();
            for (int i = 0; i < 99; i++) {
                waiting.add(front.submit(("w" + i).getBytes()));
            }
            assertThat(lone).isNotDone(); // not acknowledged before its fsync finished
            release.countDown();
            assertThat(lone.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            for (int i = 0; i < 99; i++) {
                assertThat(waiting.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(2 + i);
            }
            assertThat(front.batches()).as("1 + 99 entries in 2 fsyncs").isEqualTo(2);
            assertThat(front.entries()).isEqualTo(100);
        }
        assertThat(new String(log.entries(57, 58, Long.MAX_VALUE).get(0).data())).isEqualTo("w55");
    }

    @Test
    void writersLearnOfAFailedLog() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        DurableLogStore log = openLog(disk);
        log.reset(0, 0);
        disk.failWhen(op -> op.kind() == FaultyDisk.Kind.FORCE, "Input/output error");
        try (GroupCommitLog front = new GroupCommitLog(log, 1, 100)) {
            assertThatThrownBy(() -> front.submit(new byte[10]).get(10, TimeUnit.SECONDS)).rootCause().hasMessageStartingWith("Input/output error");
            assertThatThrownBy(() -> front.submit(new byte[10]).get(10, TimeUnit.SECONDS)).hasMessageContaining("accepts no writes");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
