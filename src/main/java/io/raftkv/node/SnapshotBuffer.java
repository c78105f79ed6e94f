package io.raftkv.node;

import io.raftkv.raft.SnapshotData;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects a snapshot being encoded in chunks and hands it over as those chunks, which the snapshot
 * store streams to the file. A ByteArrayOutputStream would hold up to three times the snapshot at
 * once (its doubled buffer, the buffer it doubles from, then the exact copy); this holds it once,
 * which is part of why the store quota may be as much as a fifth of the heap (see
 * {@link NodeLimits#defaultStoreQuota}).
 */
final class SnapshotBuffer extends OutputStream {
    private static final int FIRST_CHUNK = 64 << 10;
    private static final int MAX_CHUNK = 4 << 20;

    private final List<byte[]> full = new ArrayList<>();
    private byte[] current = new byte[FIRST_CHUNK];
    private int used;
    private long size;

    @Override
    public void write(int b) {
        if (used == current.length) {
            next();
        }
        current[used++] = (byte) b;
        size++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (used == current.length) {
                next();
            }
            int n = Math.min(len, current.length - used);
            System.arraycopy(b, off, current, used, n);
            used += n;
            off += n;
            len -= n;
            size += n;
        }
    }

    private void next() {
        full.add(current);
        current = new byte[Math.min(MAX_CHUNK, current.length * 2)];
        used = 0;
    }

    /** The bytes written, as the chunks they were written into; this buffer is empty afterwards. */
    SnapshotData data() {
        full.add(Arrays.copyOf(current, used));
        SnapshotData data = SnapshotData.ofChunks(full);
        full.clear();
        current = new byte[0];
        used = 0;
        size = 0;
        return data;
    }
}
