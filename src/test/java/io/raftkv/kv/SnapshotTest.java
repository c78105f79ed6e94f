package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.raftkv.kv.Cmds.bytes;
import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static io.raftkv.kv.KvStateMachineTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final IdempotencyPolicy POLICY = new IdempotencyPolicy(1_000, 10_000);

    /** A machine with a bit of everything: unicode keys, a large value, content types, every kind of remembered result. */
    private static KvStateMachine populated() {
        KvStateMachine sm = new KvStateMachine(POLICY);
        byte[] big = new byte[3 * 1024 * 1024];
        new Random(5).nextBytes(big);
        sm.apply(1, new KvCommand.Put("big/blob", big, "application/octet-stream", null, "w", T0));
        sm.apply(2, put("ключ/😀 with space", "ü"));
        sm.apply(3, new KvCommand.Put("json", bytes("{}"), "application/json", null, null, T0 + 1));
        sm.apply(4, put("json", "{\"a\":1}", Precondition.PRESENT, "w2", T0 + 2));
        sm.apply(5, put("gone", "x"));
        sm.apply(6, delete("gone", Precondition.NONE, "d", T0 + 3));
        sm.apply(7, delete("gone", Precondition.NONE, "nf", T0 + 4));
        sm.apply(8, put("json", "no", Precondition.revision(1), "pf", T0 + 5));
        sm.skip(9);
        sm.apply(10, put("empty", ""));
        sm.skip(12);
        return sm;
    }

    private static KvStateMachine restored(byte[] snapshot) throws IOException {
        KvStateMachine sm = new KvStateMachine(POLICY);
        sm.restore(new ByteArrayInputStream(snapshot));
        return sm;
    }

    @Test
    void roundTripKeepsStateAppliedIndexAndIdempotency() throws IOException {
        KvStateMachine original = populated();
        byte[] image = snapshot(original);
        KvStateMachine copy = restored(image);

        assertThat(copy.appliedIndex()).isEqualTo(12);
        assertThat(copy.keyCount()).isEqualTo(original.keyCount()).isEqualTo(4);
        assertThat(copy.dataBytes()).isEqualTo(original.dataBytes());
        assertThat(copy.list(null, null, 100)).isEqualTo(original.list(null, null, 100));
        assertThat(copy.get("big/blob")).isEqualTo(original.get("big/blob"));
        assertThat(copy.get("big/blob").orElseThrow().contentType()).isEqualTo("application/octet-stream");
        assertThat(copy.get("json").orElseThrow().contentType()).isNull();
        assertThat(copy.idempotencyKeyCount()).isEqualTo(original.idempotencyKeyCount()).isEqualTo(5);
        assertThat(snapshot(copy)).isEqualTo(image);

        // both answer the same retries, refusals and fresh writes the same way from here on
        List<KvCommand> next = List.of(
                delete("gone", Precondition.NONE, "d", T0),
                delete("gone", Precondition.NONE, "nf", T0),
                put("json", "no", Precondition.revision(1), "pf", T0),
                put("json", "{\"a\":1}", Precondition.PRESENT, "w2", T0),
                put("json", "other", Precondition.PRESENT, "w2", T0),
                put("json", "fresh", Precondition.revision(4), "new", T0 + 6),
                put("x", "1", Precondition.NONE, null, T0 + 10_004),  // expires w, w2 and d (stamped T0..T0+3)
                delete("gone", Precondition.NONE, "d", T0),
                delete("gone", Precondition.NONE, "nf", T0));
        List<WriteResult> expected = List.of(
                new WriteResult.Deleted(6),
                WriteResult.NOT_FOUND,
                new WriteResult.PreconditionFailed(4),
                new WriteResult.Written(4, false),
                WriteResult.IDEMPOTENCY_KEY_REUSED,
                new WriteResult.Written(18, false),
                new WriteResult.Written(19, true),
                WriteResult.NOT_FOUND,             // applied afresh (not the remembered Deleted(6))
                WriteResult.NOT_FOUND);            // still remembered
        long index = 13;
        for (int i = 0; i < next.size(); i++, index++) {
            assertThat(original.apply(index, next.get(i))).as("%s", next.get(i)).isEqualTo(expected.get(i));
            assertThat(copy.apply(index, next.get(i))).as("%s", next.get(i)).isEqualTo(expected.get(i));
        }
        // nf, pf, new and the fresh d
        assertThat(copy.idempotencyKeyCount()).isEqualTo(original.idempotencyKeyCount()).isEqualTo(4);
        assertThat(original.apply(13 + next.size(), delete("x")))
                .isEqualTo(copy.apply(13 + next.size(), delete("x")));
        assertThat(snapshot(copy)).isEqualTo(snapshot(original));
        assertThat(copy.get("json").orElseThrow().version()).isEqualTo(3);
    }

    @Test
    void theRetriesAfterRestoreGiveTheRememberedAnswers() throws IOException {
        KvStateMachine copy = restored(snapshot(populated()));
        assertThat(copy.apply(13, delete("gone", Precondition.NONE, "d", T0))).isEqualTo(new WriteResult.Deleted(6));
        assertThat(copy.apply(14, delete("gone", Precondition.NONE, "nf", T0))).isEqualTo(WriteResult.NOT_FOUND);
        assertThat(copy.apply(15, put("json", "no", Precondition.revision(1), "pf", T0)))
                .isEqualTo(new WriteResult.PreconditionFailed(4));
        assertThat(copy.apply(16, put("json", "{\"a\":1}", Precondition.PRESENT, "w2", T0)))
                .isEqualTo(new WriteResult.Written(4, false));
        assertThat(copy.apply(17, delete("json", Precondition.PRESENT, "w2", T0)))
                .isEqualTo(WriteResult.IDEMPOTENCY_KEY_REUSED);
    }

    @Test
    void restoreReplacesEverythingThatWasThere() throws IOException {
        KvStateMachine sm = new KvStateMachine(POLICY);
        for (int i = 1; i <= 20; i++) {
            sm.apply(i, put("old/" + i, "v", Precondition.NONE, "old-" + i, T0));
        }
        byte[] image = snapshot(populated());
        sm.restore(new ByteArrayInputStream(image));
        assertThat(sm.list("old/", null, 10).items()).isEmpty();
        assertThat(sm.appliedIndex()).isEqualTo(12); // may go back: the snapshot is the whole truth
        assertThat(sm.keyCount()).isEqualTo(4);
        assertThat(sm.idempotencyKeyCount()).isEqualTo(5);
        assertThat(sm.apply(13, put("old/1", "v", Precondition.NONE, "old-1", T0))).isEqualTo(new WriteResult.Written(13, true));
        assertThat(snapshot(restored(image))).isEqualTo(image);
    }

    @Test
    void anEmptyMachineRoundTrips() throws IOException {
        byte[] image = snapshot(new KvStateMachine(POLICY));
        KvStateMachine copy = restored(image);
        assertThat(copy.appliedIndex()).isZero();
        assertThat(copy.keyCount()).isZero();
        assertThat(snapshot(copy)).isEqualTo(image);
        assertThat(image).hasSize(4 + 1 + 8 + 8 + 8 + 4 + 4);
    }

    @Test
    void twoMachinesFedTheSameCommandsWriteIdenticalSnapshots() throws IOException {
        Random random = new Random(11);
        KvStateMachine a = new KvStateMachine(POLICY);
        KvStateMachine b = new KvStateMachine(POLICY);
        KvStateMachine late = null;
        RandomCommands commands = new RandomCommands(random, 40);
        long index = 0;
        for (int i = 0; i < 4_000; i++) {
            index += 1 + (random.nextInt(10) == 0 ? 1 : 0);
            if (random.nextInt(20) == 0) {
                a.skip(index);
                b.skip(index);
                if (late != null) {
                    late.skip(index);
                }
                continue;
            }
            KvCommand cmd = commands.next();
            WriteResult ra = a.apply(index, cmd);
            assertThat(b.apply(index, cmd)).isEqualTo(ra);
            if (late != null) {
                assertThat(late.apply(index, cmd)).isEqualTo(ra);
            }
            if (i == 1_500) {
                late = restored(snapshot(a)); // a replica that joins from a snapshot midway
            }
            if (i % 500 == 0) {
                assertThat(snapshot(a)).isEqualTo(snapshot(b));
            }
        }
        byte[] image = snapshot(a);
        assertThat(snapshot(b)).isEqualTo(image);
        assertThat(snapshot(late)).isEqualTo(image);
        assertThat(a.keyCount()).isPositive();
        assertThat(a.idempotencyKeyCount()).isPositive();
    }

    @Test
    void refusesSomethingThatIsNotASnapshot() {
        KvStateMachine sm = populated();
        assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(IOException.class).hasMessageContaining("not a raftkv key-value snapshot");
        assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(bytes("{\"json\": true}"))))
                .isInstanceOf(IOException.class).hasMessageContaining("magic number 0x7B226A73, expected 0x52464B56");
        byte[] image = snapshot(sm);
        image[4] = 4;
        assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(image)))
                .isInstanceOf(IOException.class).hasMessageContaining("unsupported key-value snapshot format version 4");
        assertUnchanged(sm);
    }

    @Test
    void refusesTruncatedCorruptedAndOverlongSnapshotsAndKeepsTheOldState() {
        KvStateMachine sm = populated();
        byte[] image = snapshot(populated());
        Random random = new Random(9);
        for (int i = 0; i < 200; i++) {
            int cut = i < 100 ? random.nextInt(image.length) : image.length - 1 - random.nextInt(200);
            assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(Arrays.copyOf(image, cut))))
                    .as("cut at %d", cut).isInstanceOf(IOException.class);
        }
        for (int i = 0; i < 300; i++) {
            byte[] corrupt = image.clone();
            int at = i < 150 ? 5 + random.nextInt(corrupt.length - 5) : corrupt.length - 1 - random.nextInt(400);
            corrupt[at] ^= (byte) (1 << random.nextInt(8));
            assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(corrupt)))
                    .as("bit flipped at %d", at).isInstanceOf(IOException.class)
                    .hasMessageContaining("key-value snapshot is");
        }
        byte[] longer = Arrays.copyOf(image, image.length + 1);
        assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(longer)))
                .isInstanceOf(IOException.class).hasMessageContaining("unexpected bytes after the checksum");
        byte[] badCrc = image.clone();
        badCrc[badCrc.length - 1] ^= 1;
        assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(badCrc)))
                .isInstanceOf(IOException.class).hasMessageContaining("checksum mismatch");
        assertUnchanged(sm);
    }

    @Test
    void refusesStructurallyImpossibleStateEvenWithAValidChecksum() {
        // a snapshot that claims a key but a negative length for it
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 8 + 4);
        b.putInt(0x52464B56).put((byte) 1).putLong(5).putLong(1).putInt(-7);
        assertThatThrownBy(() -> new KvStateMachine().restore(new ByteArrayInputStream(b.array())))
                .isInstanceOf(IOException.class).hasMessageContaining("negative key length -7");
    }

    private static void assertUnchanged(KvStateMachine sm) {
        assertThat(snapshot(sm)).isEqualTo(snapshot(populated()));
        assertThat(sm.appliedIndex()).isEqualTo(12);
    }

    @Test
    void streamsWithoutBuildingTheImageInMemoryAndLeavesTheStreamsOpen() throws IOException {
        KvStateMachine sm = new KvStateMachine(POLICY);
        byte[] kib = new byte[1024];
        for (int i = 1; i <= 2_000; i++) {
            sm.apply(i, new KvCommand.Put(String.format("key/%05d", i), kib, null, null, null, 0));
        }
        int[] largestWrite = {0};
        boolean[] closed = {false};
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                largestWrite[0] = Math.max(largestWrite[0], 1);
                sink.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                largestWrite[0] = Math.max(largestWrite[0], len);
                sink.write(b, off, len);
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        sm.writeSnapshot(out);
        assertThat(sink.size()).isGreaterThan(2_000 * 1024);
        assertThat(largestWrite[0]).isLessThanOrEqualTo(64 * 1024);
        assertThat(closed[0]).isFalse();

        // and reading copes with a stream that hands out one byte at a time
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(sink.toByteArray())) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        KvStateMachine copy = new KvStateMachine(POLICY);
        copy.restore(trickle);
        assertThat(closed[0]).isFalse();
        assertThat(copy.keyCount()).isEqualTo(2_000);
        assertThat(snapshot(copy)).isEqualTo(sink.toByteArray());
    }

    @Test
    void aCapturedStateWritesTheSnapshotOfItsMomentHoweverTheStateMovesOnBeforeItIsWritten() throws IOException {
        // The snapshot writer thread writes a captured state while the apply thread goes on applying.
        KvStateMachine sm = new KvStateMachine(POLICY);
        RandomCommands commands = new RandomCommands(new Random(11), 12)
                .revisionsFrom(k -> sm.get(k).map(KeyValue::modRevision).orElse(0L));
        long index = 0;
        sm.apply(++index, new LeaseCommand.Grant(1, 5_000));
        List<byte[]> expected = new java.util.ArrayList<>();
        List<KvStateMachine.Image> images = new java.util.ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 25; i++) {
                sm.apply(++index, commands.next());
            }
            expected.add(snapshot(sm));
            images.add(sm.capture());
        }
        for (int i = 0; i < 200; i++) {
            sm.apply(++index, commands.next());
        }
        sm.apply(++index, new LeaseCommand.Revoke(1, 1));
        for (int k = 0; k < images.size(); k++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            images.get(k).writeTo(out);
            assertThat(out.toByteArray()).as("image %d", k).isEqualTo(expected.get(k));
            assertThat(restored(out.toByteArray()).appliedIndex()).isEqualTo(1 + 25L * (k + 1));
        }
    }
}
