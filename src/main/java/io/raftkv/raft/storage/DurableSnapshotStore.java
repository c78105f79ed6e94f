package io.raftkv.raft.storage;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.SnapshotStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * follower verifies exactly what was on the leader's disk ({@link #receive}).
 */
public final class DurableSnapshotStore implements SnapshotStore {
    static final String SUFFIX = ".snap";
    private static final Pattern NAME = Pattern.compile("snap-(\\d{20})-(\\d{20})\\.snap");
    private static final int FIXED_HEADER_BYTES = 4 + 4 + 8 + 8 + 4;

    private final Disk disk;
    private final Path dir;
    private final StorageHealth health;
    private final AtomicLong receiverSeq = new AtomicLong();
    private volatile Snapshot latest;
    /** A snapshot received in chunks and verified, waiting in its temporary file to be saved by rename. */
    private Staged staged;

    private record Staged(Snapshot snapshot, Path file) {
    }

    private record Name(long index, long term, String file) {
    }

    private DurableSnapshotStore(Disk disk, Path dir, StorageHealth health) {
        this.disk = disk;
        this.dir = dir;
        this.health = health;
    }

    /** Opens the snapshot directory and loads the newest snapshot, refusing if it does not verify. */
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
                Snapshot s = decode(file, FileFormat.readAll(f));
                if (s.index() != newest.index() || s.term() != newest.term()) {
                    throw new CorruptStorageException(file, 8, "file name says " + newest.index() + "@" + newest.term()
                            + " but the header says " + s.index() + "@" + s.term());
                }
                store.latest = s;
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
                disk.rename(staged.file(), dir.resolve(name));
                disk.syncDirectory(dir);
                staged = null;
            } else {
                byte[] data = s.data();
                ByteBuffer crc = ByteBuffer.allocate(4).putInt(FileFormat.crc32c(data, 0, data.length)).flip();
                FileFormat.writeAtomically(disk, dir, name, header(s.metadata(), data.length), ByteBuffer.wrap(data), crc);
            }
            latest = s;
            prune(s);
        } catch (IOException e) {
            throw health.fail("saving snapshot " + s.index() + "@" + s.term() + " to " + dir.resolve(name), e);
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
            SnapshotMetadata meta = l != null && l.index() == index && l.term() == term ? l.metadata() : null;
            DiskFile f = disk.open(file);
            try {
                if (meta == null) {
                    meta = decode(file, FileFormat.readAll(f)).metadata();
                }
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
    synchronized void stage(Snapshot s, Path file) throws IOException {
        if (staged != null) {
            disk.delete(staged.file());
        }
        staged = new Staged(s, file);
    }

    Disk disk() {
        return disk;
    }

    StorageHealth health() {
        return health;
    }

    // ------------------------------------------------------------------ encoding

    static ByteBuffer header(SnapshotMetadata meta, long dataLength) {
        byte[] membership = meta.membership().encode();
        ByteBuffer b = ByteBuffer.allocate(FIXED_HEADER_BYTES + membership.length + 8 + 4);
        b.putInt(FileFormat.SNAPSHOT_MAGIC).putInt(FileFormat.VERSION).putLong(meta.index()).putLong(meta.term());
        b.putInt(membership.length).put(membership).putLong(dataLength);
        b.putInt(FileFormat.crc32c(b.array(), 0, b.position()));
        return b.flip();
    }

    /** Parses and verifies a whole snapshot file. */
    static Snapshot decode(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        FileFormat.checkMagicAndVersion(file, b, FileFormat.SNAPSHOT_MAGIC, "snapshot");
        if (bytes.length < FIXED_HEADER_BYTES) {
            throw new CorruptStorageException(file, 0, "snapshot header is incomplete (" + bytes.length + " bytes)");
        }
        long index = b.getLong();
        long term = b.getLong();
        int membershipLength = b.getInt();
        if (membershipLength < 0 || membershipLength > bytes.length - FIXED_HEADER_BYTES - 12) {
            throw new CorruptStorageException(file, FIXED_HEADER_BYTES - 4,
                    "membership length " + membershipLength + " does not fit a file of " + bytes.length + " bytes");
        }
        int headerEnd = FIXED_HEADER_BYTES + membershipLength + 8;
        if (b.getInt(headerEnd) != FileFormat.crc32c(bytes, 0, headerEnd)) {
            throw new CorruptStorageException(file, headerEnd, "snapshot header checksum mismatch");
        }
        byte[] membership = new byte[membershipLength];
        b.get(membership);
        long dataLength = b.getLong();
        int dataStart = headerEnd + 4;
        if (dataLength != (long) bytes.length - dataStart - 4) {
            throw new CorruptStorageException(file, bytes.length, "file has " + bytes.length + " bytes but the header says "
                    + (dataStart + dataLength + 4) + ": it is truncated or has trailing bytes");
        }
        if (b.getInt(bytes.length - 4) != FileFormat.crc32c(bytes, dataStart, (int) dataLength)) {
            throw new CorruptStorageException(file, dataStart, "snapshot data checksum mismatch");
        }
        byte[] data = new byte[(int) dataLength];
        System.arraycopy(bytes, dataStart, data, 0, data.length);
        Membership members;
        try {
            members = Membership.decode(membership);
        } catch (IllegalArgumentException e) {
            throw new CorruptStorageException(file, FIXED_HEADER_BYTES, "bad membership: " + e.getMessage());
        }
        return new Snapshot(new SnapshotMetadata(index, term, members), data);
    }
}
