package io.raftkv.raft.storage;

import io.raftkv.raft.Snapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Assembles a snapshot sent in chunks in a temporary file. {@link #finish} syncs and verifies it;
 * the snapshot it returns goes to the Raft core as usual, and when the node then persists it
 * ({@code RaftStorage.installSnapshot}: saved before the log is reset) the save is a rename of this
 * file, not a second copy. A transfer that is abandoned ({@link #close} before that) leaves nothing.
 */
public final class SnapshotReceiver implements Closeable {
    private final DurableSnapshotStore store;
    private final Path path;
    private final DiskFile file;
    private long received;
    private boolean finished;

    SnapshotReceiver(DurableSnapshotStore store, Path path, DiskFile file) {
        this.store = store;
        this.path = path;
        this.file = file;
    }

    /** Bytes received so far: the offset the next chunk must start at. */
    public long received() {
        return received;
    }

    public void accept(SnapshotChunk chunk) throws IOException {
        accept(chunk.offset(), chunk.data());
    }

    /** Writes the next chunk; chunks must come in order, without gaps. */
    public void accept(long offset, byte[] data) throws IOException {
        if (finished) {
            throw new IllegalStateException("snapshot transfer already finished");
        }
        if (offset != received) {
            throw new IllegalArgumentException("chunk at offset " + offset + " but " + received + " bytes were received so far");
        }
        store.health().checkWritable();
        try {
            file.write(ByteBuffer.wrap(data), offset);
        } catch (IOException e) {
            throw store.health().fail("receiving snapshot into " + path, e);
        }
        received += data.length;
    }

    /**
     * Syncs the file, then checks it end to end (format version, header and data checksums).
     *
     * @throws CorruptStorageException if what arrived is not a whole, intact snapshot
     */
    public Snapshot finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("snapshot transfer already finished");
        }
        SnapshotFile.Layout layout;
        try {
            file.force();
            layout = SnapshotFile.verify(path, file);
        } catch (IOException e) {
            throw store.health().fail("syncing received snapshot " + path, e);
        }
        finished = true;
        file.close();
        return store.stage(layout, path);
    }

    /** Abandons an unfinished transfer and deletes its file; after {@link #finish} the store owns the file. */
    @Override
    public void close() throws IOException {
        if (!finished) {
            finished = true;
            file.close();
            store.disk().delete(path);
        }
    }
}
