package io.raftkv.node;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects a snapshot being encoded in chunks, then hands it over as one array. A
 * ByteArrayOutputStream would hold up to three times the snapshot at once (its doubled buffer,
 * the buffer it doubles from, then the exact copy); this holds at most two (the chunks and the
 * copy), which is part of why the store quota may be as much as a tenth of the heap (see
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

    /** The bytes written, as one array; the chunks are let go as they are copied. */
    byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a snapshot of " + size + " bytes does not fit in one array");
        }
        byte[] out = new byte[(int) size];
        int pos = 0;
        for (int i = 0; i < full.size(); i++) {
            byte[] chunk = full.get(i);
            System.arraycopy(chunk, 0, out, pos, chunk.length);
            pos += chunk.length;
            full.set(i, null);
        }
        System.arraycopy(current, 0, out, pos, used);
        full.clear();
        current = new byte[0];
        used = 0;
        size = 0;
        return out;
    }
}
