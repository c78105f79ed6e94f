package io.raftkv.node;

import io.raftkv.raft.SnapshotData;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotBufferTest {

    @Test
    void givesBackExactlyWhatWasWrittenAcrossManyChunks() throws IOException {
        Random rnd = new Random(7);
        SnapshotBuffer buf = new SnapshotBuffer();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 2000; i++) {
            byte[] piece = new byte[rnd.nextInt(20_000)];
            rnd.nextBytes(piece);
            int off = piece.length == 0 ? 0 : rnd.nextInt(piece.length);
            buf.write(piece, off, piece.length - off);
            expected.write(piece, off, piece.length - off);
            buf.write(i);
            expected.write(i);
        }
        assertThat(expected.size()).isGreaterThan(8 << 20);
        SnapshotData data = buf.data();
        assertThat(data.size()).isEqualTo(expected.size());
        try (InputStream in = data.open()) {
            assertThat(in.readAllBytes()).isEqualTo(expected.toByteArray());
        }
        assertThat(new SnapshotBuffer().data().size()).isZero();
    }
}
