package io.raftkv.raft.storage;

import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotData;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.SnapshotStore;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Snapshot files, {@code snap-<index>-<term>.snap}, each written atomically (temporary file, fsync,
 * rename, directory fsync). The newest two are kept: the older one is for an operator who has to
 * recover by hand, never a silent fallback, because the log may no longer reach back to it.
 *
 * <p>Layout:
 * <pre>
 *   magic:int version:int index:long term:long membershipLength:int membership dataLength:long headerCrc:int
 *   data
 *   dataCrc:int
 * </pre>
 * The file's own bytes are what a leader streams to a follower ({@link #openSource}), so the
 * follower verifies exactly what was on the leader's disk ({@link #receive}). A snapshot's data is
 * never held on the heap here: saving streams it to the file, and {@link #latest} and a received
 * snapshot read it back from the file when the state machine restores it. Beside a store of many
 * megabytes that is one whole copy fewer in the heap (see {@code NodeLimits.defaultStoreQuota}).
 */
public final class DurableSnapshotStore implements SnapshotStore {
    static final String SUFFIX = ".snap";
    private static final Pattern NAME = Pattern.compile("snap-(\\d{20})-(\\d{20})\\.snap");
    private static final int WRITE_PASS_BYTES = 1 << 20;
    private static final long SYNC_EVERY_BYTES = 8L << 20;

    private final Disk disk;
    private final Path dir;
    private final StorageHealth health;
    private final AtomicLong receiverSeq = new AtomicLong();
    private volatile Snapshot latest;
    /** A snapshot received in chunks and verified, waiting in its temporary file to be saved by rename. */
    private Staged staged;

    private record Staged(Snapshot snapshot, SnapshotFile.Layout layout, Path file) {
    }

    private record Name(long index, long term, String file) {
    }

    private DurableSnapshotStore(Disk disk, Path dir, StorageHealth health) {
        this.disk = disk;
        this.dir = dir;
        this.health = health;
    }

    /**
     * Opens the snapshot directory and checks the newest snapshot, refusing if it does not verify.
     * Its data stays in the file: {@link #latest} reads it from there when asked.
     */
    public static DurableSnapshotStore open(Disk disk, Path dir, StorageHealth health) throws IOException {
        disk.createDirectories(dir);
        DurableSnapshotStore store = new DurableSnapshotStore(disk, dir, health);
        for (String name : disk.list(dir)) {
            if (name.endsWith(SUFFIX + FileFormat.TMP_SUFFIX)) {
                disk.delete(dir.resolve(name)); // an unfinished save or transfer
            }
        }
        List<Name> names = store.snapshotFiles();
        if (!names.isEmpty()) {
            Name newest = names.get(names.size() - 1);
            Path file = dir.resolve(newest.file());
            try (DiskFile f = disk.open(file)) {
                SnapshotFile.Layout layout = SnapshotFile.verify(file, f);
                if (layout.metadata().index() != newest.index() || layout.metadata().term() != newest.term()) {
                    throw new CorruptStorageException(file, 8, "file name says " + newest.index() + "@" + newest.term()
                            + " but the header says " + layout.metadata().index() + "@" + layout.metadata().term());
                }
                store.latest = store.stored(layout);
            } catch (CorruptStorageException e) {
                String older = names.size() > 1 ? " An older snapshot, " + names.get(names.size() - 2).file()
                        + ", is still there, but the log may not extend it, so it is not used automatically." : "";
                throw new CorruptStorageException(e.file(), e.offset(), e.problem() + ". Refusing to start on a damaged newest snapshot." + older);
            }
        }
        return store;
    }

    @Override
    public Snapshot latest() {
        return latest;
    }

    @Override
    public synchronized void save(Snapshot s) {
        health.checkWritable();
        String name = fileName(s.index(), s.term());
        try {
            if (staged != null && staged.snapshot() == s) {
                // Received in chunks, already synced and verified: installing it is just the rename.
                Staged st = staged;
                staged = null;
                install(st.file(), st.layout(), s);
            } else {
                Path tmp = dir.resolve(name + FileFormat.TMP_SUFFIX);
                install(tmp, writeTemporary(tmp, s), s);
            }
        } catch (IOException e) {
            throw health.fail("saving snapshot " + s.index() + "@" + s.term() + " to " + dir.resolve(name), e);
        }
    }

    @Override
    public boolean saveTaken(Snapshot s) {
        health.checkWritable();
        if (!newerThanLatest(s)) {
            return false;
        }
        String name = fileName(s.index(), s.term());
        Path tmp = dir.resolve("taken-" + name + FileFormat.TMP_SUFFIX);
        try {
            // Written and synced outside the lock: tens of megabytes take a while, and a snapshot
            // arriving from the leader meanwhile, or a transfer opening the current one, must not wait.
            SnapshotFile.Layout layout = writeTemporary(tmp, s);
            synchronized (this) {
                if (!newerThanLatest(s)) {
                    disk.delete(tmp);
                    return false;
                }
                health.checkWritable();
                install(tmp, layout, s);
                return true;
            }
        } catch (IOException e) {
            throw health.fail("saving snapshot " + s.index() + "@" + s.term() + " to " + dir.resolve(name), e);
        }
    }

    private boolean newerThanLatest(Snapshot s) {
        Snapshot l = latest;
        return l == null || s.index() > l.index();
    }

    /** Puts a written and synced file in place under its name: the rename is the moment it is saved. */
    private void install(Path written, SnapshotFile.Layout layout, Snapshot s) throws IOException {
        disk.rename(written, dir.resolve(fileName(s.index(), s.term())));
        disk.syncDirectory(dir);
        latest = stored(layout);
        prune(s);
    }

    /**
     * Writes {@code s} to {@code tmp} and syncs it, streaming its data: a snapshot is never copied
     * whole on the heap to be written, and data made as it is written ({@link SnapshotData#writeTo})
     * is never made in memory at all. The header, which holds the data's length, is written last.
     * Synced every few megabytes on the way, so the final sync never has the whole snapshot to write
     * back at once, in front of the log's own syncs.
     */
    private SnapshotFile.Layout writeTemporary(Path tmp, Snapshot s) throws IOException {
        long dataStart = SnapshotFile.header(s.metadata(), 0).remaining();
        try (DiskFile f = disk.create(tmp)) {
            FileOutput file = new FileOutput(f, dataStart);
            CRC32C crc = new CRC32C();
            OutputStream data = new BufferedOutputStream(new CheckedOutputStream(file, crc), WRITE_PASS_BYTES);
            s.content().writeTo(data);
            data.flush();
            long length = file.position - dataStart;
            f.write(ByteBuffer.allocate(4).putInt(0, (int) crc.getValue()), file.position);
            f.write(SnapshotFile.header(s.metadata(), length), 0);
            f.force();
            return new SnapshotFile.Layout(s.metadata(), dataStart, length);
        }
    }

    /** Positional writes to a file from {@code position} on, synced every {@link #SYNC_EVERY_BYTES}. */
    private static final class FileOutput extends OutputStream {
        private final DiskFile file;
        private long position;
        private long synced;

        FileOutput(DiskFile file, long position) {
            this.file = file;
            this.position = position;
            this.synced = position;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            file.write(ByteBuffer.wrap(b, off, len), position);
            position += len;
            if (position - synced >= SYNC_EVERY_BYTES) {
                file.force();
                synced = position;
            }
        }
    }

    /** A snapshot whose data is read from its file each time it is opened, so the heap never holds it. */
    private Snapshot stored(SnapshotFile.Layout layout) {
        return new Snapshot(layout.metadata(), new StoredData(layout));
    }

    private final class StoredData implements SnapshotData {
        private final SnapshotFile.Layout layout;

        StoredData(SnapshotFile.Layout layout) {
            this.layout = layout;
        }

        @Override
        public long size() {
            return layout.dataLength();
        }

        @Override
        public InputStream open() throws IOException {
            SnapshotMetadata m = layout.metadata();
            Path file;
            synchronized (DurableSnapshotStore.this) {
                // A snapshot received and handed to the core is still in its temporary file until saved.
                file = staged != null && staged.layout() == layout ? staged.file() : dir.resolve(fileName(m.index(), m.term()));
                if (!disk.exists(file)) {
                    throw new IOException("snapshot " + m.index() + "@" + m.term() + " is no longer on disk: a newer one replaced it");
                }
                DiskFile f = disk.open(file);
                return SnapshotFile.data(file, f, layout, true);
            }
        }
    }

    /** Keeps the new snapshot and the newest one older than it; anything newer is superseded by this save. */
    private void prune(Snapshot s) throws IOException {
        Comparator<Name> order = Comparator.comparingLong(Name::index).thenComparingLong(Name::term);
        Name saved = new Name(s.index(), s.term(), fileName(s.index(), s.term()));
        Name keepOlder = null;
        List<Name> delete = new ArrayList<>();
        for (Name n : snapshotFiles()) {
            int c = order.compare(n, saved);
            if (c < 0) {
                if (keepOlder != null) {
                    delete.add(keepOlder);
                }
                keepOlder = n;
            } else if (c > 0) {
                delete.add(n);
            }
        }
        for (Name n : delete) {
            disk.delete(dir.resolve(n.file()));
        }
        if (!delete.isEmpty()) {
            disk.syncDirectory(dir);
        }
    }

    /** Snapshot files on disk, oldest first. */
    private List<Name> snapshotFiles() throws IOException {
        List<Name> names = new ArrayList<>();
        for (String file : disk.list(dir)) {
            Matcher m = NAME.matcher(file);
            if (m.matches()) {
                names.add(new Name(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), file));
            }
        }
        names.sort(Comparator.comparingLong(Name::index).thenComparingLong(Name::term));
        return names;
    }

    static String fileName(long index, long term) {
        return String.format("snap-%020d-%020d%s", index, term, SUFFIX);
    }

    // ------------------------------------------------------------------ chunked transfer

    /**
     * The file of snapshot {@code index}@{@code term}, to stream to a follower in chunks, or null if
     * it is no longer on disk. The source holds the file open, so a newer snapshot replacing it
     * meanwhile does not cut the transfer short.
     */
    public SnapshotSource openSource(long index, long term) throws IOException {
        Path file = dir.resolve(fileName(index, term));
        synchronized (this) {
            if (!disk.exists(file)) {
                return null;
            }
            Snapshot l = latest;
            DiskFile f = disk.open(file);
            try {
                SnapshotMetadata meta = l != null && l.index() == index && l.term() == term ? l.metadata()
                        : SnapshotFile.verify(file, f).metadata();
                return new SnapshotSource(file, f, meta, f.size());
            } catch (IOException | RuntimeException e) {
                f.close();
                throw e;
            }
        }
    }

    /** Starts receiving a snapshot streamed by {@link SnapshotSource}, into a temporary file. */
    public SnapshotReceiver receive() throws IOException {
        health.checkWritable();
        Path tmp = dir.resolve("receiving-" + receiverSeq.incrementAndGet() + SUFFIX + FileFormat.TMP_SUFFIX);
        return new SnapshotReceiver(this, tmp, disk.create(tmp));
    }

    /** Called by a receiver once its file is synced and verified: {@link #save} of that snapshot becomes a rename. */
    synchronized Snapshot stage(SnapshotFile.Layout layout, Path file) throws IOException {
        if (staged != null) {
            disk.delete(staged.file());
        }
        Snapshot s = new Snapshot(layout.metadata(), new StoredData(layout));
        staged = new Staged(s, layout, file);
        return s;
    }

    Disk disk() {
        return disk;
    }

    StorageHealth health() {
        return health;
    }
}
