package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.raftkv.kv.Cmds.bytes;
import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static io.raftkv.kv.Cmds.string;
import static io.raftkv.kv.KvStateMachineTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

/** HTTP threads read while the apply thread writes: they must never see half a write or an index ahead of the data. */
class ConcurrentReadTest {

    @Test
    @Timeout(60)
    void readersSeeWholeRecordsAndNothingOlderThanTheAppliedIndex() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        int writes = 40_000;
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();

        Runnable reader = () -> {
            long lastCounter = 0;
            try {
                while (!done.get()) {
                    long applied = sm.appliedIndex();
                    Optional<KeyValue> counter = sm.get("counter");
                    if (applied > 0) {
                        // the counter is written at every odd index; appliedIndex is published after the data
                        KeyValue kv = counter.orElseThrow();
                        assertThat(kv.modRevision()).isGreaterThanOrEqualTo(applied - 1).isGreaterThanOrEqualTo(lastCounter);
                        assertThat(string(kv)).isEqualTo("v" + kv.modRevision());
                        assertThat(kv.version()).isEqualTo((kv.modRevision() + 1) / 2);
                        lastCounter = kv.modRevision();
                    }
                    for (KeyValue kv : sm.list("k/", null, 100).items()) {
                        assertThat(kv.key()).startsWith("k/");
                        assertThat(string(kv)).isEqualTo("v" + kv.modRevision());
                        assertThat(kv.createRevision()).isLessThanOrEqualTo(kv.modRevision());
                    }
                    assertThat(sm.keyCount()).isBetween(0L, 51L);
                    reads.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread t = new Thread(reader, "reader-" + i);
            t.start();
            readers.add(t);
        }
        try {
            for (long index = 1; index <= writes && failure.get() == null; index++) {
                if (index % 2 == 1) {
                    sm.apply(index, put("counter", "v" + index));
                } else if (index % 6 == 0) {
                    sm.apply(index, delete("k/" + (index % 50)));
                } else {
                    sm.apply(index, new KvCommand.Put("k/" + (index % 50), bytes("v" + index), null, null, null, 0));
                }
                if (index == writes / 2) {
                    sm.restore(new ByteArrayInputStream(snapshot(sm))); // a swap under the readers' feet
                }
            }
        } finally {
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a reader saw inconsistent state", failure.get());
        }
        assertThat(reads.get()).isPositive();
        assertThat(sm.appliedIndex()).isEqualTo(writes);
    }
}
