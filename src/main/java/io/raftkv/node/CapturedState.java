package io.raftkv.node;

import io.raftkv.raft.SnapshotData;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * A snapshot's data made as it is written, from a state machine's captured state: the snapshot
 * writer streams it straight to the file ({@link #writeTo}), so the heap never holds the encoded
 * snapshot beside the state. {@link #size} and {@link #open}, which only in-memory snapshot stores
 * and tests call, make the bytes once and keep them.
 */
public final class CapturedState implements SnapshotData {

    /** Writes the captured state; may be called on any thread, any number of times, always giving the same bytes. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private final Writer writer;
    private SnapshotData made;

    public CapturedState(Writer writer) {
        this.writer = writer;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        writer.writeTo(out);
    }

    @Override
    public long size() {
        return made().size();
    }

    @Override
    public InputStream open() throws IOException {
        return made().open();
    }

    private synchronized SnapshotData made() {
        if (made == null) {
            SnapshotBuffer out = new SnapshotBuffer();
            try {
                writer.writeTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the captured state", e);
            }
            made = out.data();
        }
        return made;
    }
}
