package io.raftkv.raft.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * An in-memory {@link Disk} that forgets what was not synced, for crash tests and the simulator.
 *
 * <p>The model, in the spirit of the ALICE and CrashMonkey studies of what file systems keep after
 * a power cut:
 * <ul>
 *   <li>Files are inodes; directories map names to inodes. An open handle keeps its inode even if
 *       the name is renamed or deleted, as on POSIX.</li>
 *   <li>Each inode has durable contents plus the writes and truncates made since its last
 *       {@link DiskFile#force()}, in order. Each directory has a durable name map plus the creates,
 *       renames and deletes made since its last {@link #syncDirectory}, in order.</li>
 *   <li>{@link #crash()} keeps only what was synced. {@link #crash(Random)} also keeps a random
 *       prefix of each file's and each directory's unsynced operations, and may tear the first
 *       write it drops, keeping a random prefix of its bytes: the torn record of a real power cut.</li>
 *   <li>After a crash every handle opened before it fails, like the file descriptors of a dead process.</li>
 * </ul>
 * Directories themselves are created durably at once (the stores create their directory once, at open).
 *
 * <p>Faults: {@link #failWhen} makes matching operations throw an IOException (sticky until
 * {@link #clearFaults}); {@link #setCapacity} makes writes beyond it write what fits and then fail
 * with "No space left on device"; {@link #haltAfter} lets a number of mutating operations through
 * and then fails everything, which followed by a crash is a power cut at that exact step;
 * {@link #flipBit} and {@link #cut} damage synced data.
 *
 * <p>Thread-safe (synchronized), so group-commit tests can use it; deterministic given the Random.
 *
 * <p>In a simulation, give each node a disk of its own ({@link #crash} cuts the power to all of a
 * disk's files) and restart a node like this:
 * <pre>
 *   RaftStorage s = DurableStorage.open(disk, dir);      // bootstrap() it the first time
 *   ...                                                  // s.persist(ready) throws StorageFailedException once haltAfter() trips
 *   disk.crash(random);                                  // the power cut: old handles and the directory lock die with it
 *   s = DurableStorage.open(disk, dir);                  // recovered, ready for a new RaftNode
 * </pre>
 */
public final class FaultyDisk implements Disk {

    public enum Kind { CREATE, OPEN, READ, WRITE, TRUNCATE, FORCE, RENAME, DELETE, SYNC_DIR, LIST }

    /** One operation, as seen by {@link #failWhen} predicates. */
    public record Op(Kind kind, Path path) {
        public String fileName() {
            return path.getFileName().toString();
        }
    }

    private static final class Inode {
        byte[] durable = new byte[0];
        byte[] data = new byte[0];
        int size;
        final List<FileOp> pending = new ArrayList<>();

        Inode copy() {
            Inode c = new Inode();
            c.durable = durable.clone();
            c.data = Arrays.copyOf(data, size);
            c.size = size;
            c.pending.addAll(pending);
            return c;
        }
    }

    private sealed interface FileOp {
    }

    private record Write(long position, byte[] bytes) implements FileOp {
    }

    private record Truncate(long size) implements FileOp {
    }

    private sealed interface DirOp {
    }

    private record Link(String name, Inode inode) implements DirOp {
    }

    private record Rename(String from, String to) implements DirOp {
    }

    private record Unlink(String name) implements DirOp {
    }

    private record Fault(Predicate<Op> when, String message) {
    }

    private final Map<Path, Map<String, Inode>> live = new HashMap<>();
    private final Map<Path, Map<String, Inode>> durable = new HashMap<>();
    private final Map<Path, List<DirOp>> pendingDirOps = new HashMap<>();
    private final Set<Path> locks = new HashSet<>();
    private final List<Fault> faults = new ArrayList<>();
    private int generation;
    private long capacity = Long.MAX_VALUE;
    private long haltAfter = Long.MAX_VALUE;
    private long mutations;
    private long forces;
    private Runnable beforeForce;

    // ------------------------------------------------------------------ faults and crashes

    /** Makes every later operation matching {@code when} throw {@code IOException(message)}, without effect. */
    public synchronized void failWhen(Predicate<Op> when, String message) {
        faults.add(new Fault(when, message));
    }

    public synchronized void clearFaults() {
        faults.clear();
        capacity = Long.MAX_VALUE;
        haltAfter = Long.MAX_VALUE;
    }

    /** Total bytes the files may hold; a write past it writes what fits, then fails with ENOSPC. */
    public synchronized void setCapacity(long bytes) {
        capacity = bytes;
    }

    /** Lets {@code n} more mutating operations through, then fails every operation (the process dies here). */
    public synchronized void haltAfter(long n) {
        haltAfter = mutations + n;
    }

    /** Mutating operations (create, write, truncate, force, rename, delete, directory sync) so far. */
    public synchronized long mutations() {
        return mutations;
    }

    public synchronized long forces() {
        return forces;
    }

    /** Runs {@code hook} at the start of every {@link DiskFile#force()}, outside the disk's lock. */
    public synchronized void beforeForce(Runnable hook) {
        beforeForce = hook;
    }

    /** A power cut that keeps only what was synced. */
    public synchronized void crash() {
        crash(null);
    }

    /**
     * A power cut after which, besides what was synced, a random prefix of each file's and each
     * directory's unsynced operations survives, the first dropped write possibly torn.
     */
    public synchronized void crash(Random random) {
        Map<Inode, Inode> after = new IdentityHashMap<>();
        for (Path dir : new ArrayList<>(live.keySet())) {
            TreeMap<String, Inode> names = new TreeMap<>(durable.get(dir));
            List<DirOp> ops = pendingDirOps.getOrDefault(dir, List.of());
            int keep = random == null ? 0 : random.nextInt(ops.size() + 1);
            for (DirOp op : ops.subList(0, keep)) {
                applyDirOp(names, op);
            }
            Map<String, Inode> survived = new TreeMap<>();
            for (var e : names.entrySet()) {
                survived.put(e.getKey(), after.computeIfAbsent(e.getValue(), i -> afterCrash(i, random)));
            }
            live.put(dir, survived);
            durable.put(dir, new TreeMap<>(survived));
            pendingDirOps.put(dir, new ArrayList<>());
        }
        locks.clear();
        generation++;
        faults.clear();
        capacity = Long.MAX_VALUE;
        haltAfter = Long.MAX_VALUE;
    }

    private static Inode afterCrash(Inode inode, Random random) {
        byte[] bytes = inode.durable.clone();
        int keep = random == null ? 0 : random.nextInt(inode.pending.size() + 1);
        for (FileOp op : inode.pending.subList(0, keep)) {
            bytes = apply(bytes, op);
        }
        if (random != null && keep < inode.pending.size() && inode.pending.get(keep) instanceof Write w
                && random.nextBoolean()) {
            byte[] torn = Arrays.copyOf(w.bytes(), random.nextInt(w.bytes().length + 1));
            bytes = apply(bytes, new Write(w.position(), torn));
        }
        Inode fresh = new Inode();
        fresh.durable = bytes;
        fresh.data = bytes.clone();
        fresh.size = bytes.length;
        return fresh;
    }

    private static byte[] apply(byte[] bytes, FileOp op) {
        if (op instanceof Write w) {
            int end = (int) (w.position() + w.bytes().length);
            byte[] out = end > bytes.length ? Arrays.copyOf(bytes, end) : bytes;
            System.arraycopy(w.bytes(), 0, out, (int) w.position(), w.bytes().length);
            return out;
        }
        return Arrays.copyOf(bytes, (int) ((Truncate) op).size());
    }

    private static void applyDirOp(Map<String, Inode> names, DirOp op) {
        if (op instanceof Link l) {
            names.put(l.name(), l.inode());
        } else if (op instanceof Rename r) {
            Inode i = names.remove(r.from());
            if (i != null) {
                names.put(r.to(), i);
            }
        } else if (op instanceof Unlink u) {
            names.remove(u.name());
        }
    }

    /** Flips one bit of a file, in its synced and unsynced contents alike (bit rot, a bad sector). */
    public synchronized void flipBit(Path file, long offset, int bit) throws IOException {
        Inode i = inode(file);
        if (offset >= i.size) {
            throw new IllegalArgumentException("offset " + offset + " is past the end of " + file + " (" + i.size + ")");
        }
        i.data[(int) offset] ^= (byte) (1 << bit);
        if (offset < i.durable.length) {
            i.durable[(int) offset] ^= (byte) (1 << bit);
        }
    }

    /** Cuts a file to {@code size} bytes, as if synced (to plant damage). */
    public synchronized void cut(Path file, long size) throws IOException {
        Inode i = inode(file);
        i.size = (int) Math.min(size, i.size);
        i.durable = Arrays.copyOf(i.data, i.size);
        i.pending.clear();
    }

    /** Writes {@code bytes} at {@code offset} of a file as if synced (to plant damage). */
    public synchronized void overwrite(Path file, long offset, byte[] bytes) throws IOException {
        Inode i = inode(file);
        ensure(i, (int) offset + bytes.length);
        System.arraycopy(bytes, 0, i.data, (int) offset, bytes.length);
        i.size = Math.max(i.size, (int) offset + bytes.length);
        i.durable = Arrays.copyOf(i.data, i.size);
        i.pending.clear();
    }

    /** The current contents of a file. */
    public synchronized byte[] contents(Path file) throws IOException {
        Inode i = inode(file);
        return Arrays.copyOf(i.data, i.size);
    }

    /** A deep copy: same files, same synced and unsynced state, no open handles, no faults. */
    public synchronized FaultyDisk copy() {
        FaultyDisk c = new FaultyDisk();
        Map<Inode, Inode> copies = new IdentityHashMap<>();
        for (var d : live.entrySet()) {
            Map<String, Inode> names = new TreeMap<>();
            d.getValue().forEach((n, i) -> names.put(n, copies.computeIfAbsent(i, Inode::copy)));
            c.live.put(d.getKey(), names);
        }
        for (var d : durable.entrySet()) {
            Map<String, Inode> names = new TreeMap<>();
            d.getValue().forEach((n, i) -> names.put(n, copies.computeIfAbsent(i, Inode::copy)));
            c.durable.put(d.getKey(), names);
        }
        for (var d : pendingDirOps.entrySet()) {
            List<DirOp> ops = new ArrayList<>();
            for (DirOp op : d.getValue()) {
                ops.add(op instanceof Link l ? new Link(l.name(), copies.computeIfAbsent(l.inode(), Inode::copy)) : op);
            }
            c.pendingDirOps.put(d.getKey(), ops);
        }
        return c;
    }

    // ------------------------------------------------------------------ Disk

    @Override
    public synchronized void createDirectories(Path dir) throws IOException {
        dir = norm(dir);
        check(Kind.CREATE, dir, false);
        for (Path p = dir; p != null; p = p.getParent()) {
            if (!live.containsKey(p)) {
                live.put(p, new TreeMap<>());
                durable.put(p, new TreeMap<>());
                pendingDirOps.put(p, new ArrayList<>());
            }
        }
    }

    @Override
    public synchronized DiskFile open(Path file) throws IOException {
        file = norm(file);
        check(Kind.OPEN, file, false);
        return new Handle(file, inode(file), generation);
    }

    @Override
    public synchronized DiskFile create(Path file) throws IOException {
        file = norm(file);
        check(Kind.CREATE, file, true);
        Map<String, Inode> names = dir(file);
        String name = file.getFileName().toString();
        Inode i = names.get(name);
        if (i == null) {
            i = new Inode();
            names.put(name, i);
            pendingDirOps.get(file.getParent()).add(new Link(name, i));
        } else {
            i.size = 0;
            i.pending.add(new Truncate(0));
        }
        return new Handle(file, i, generation);
    }

    @Override
    public synchronized boolean exists(Path file) throws IOException {
        file = norm(file);
        Map<String, Inode> names = live.get(file.getParent());
        return live.containsKey(file) || names != null && names.containsKey(file.getFileName().toString());
    }

    @Override
    public synchronized List<String> list(Path dir) throws IOException {
        dir = norm(dir);
        check(Kind.LIST, dir, false);
        Map<String, Inode> names = live.get(dir);
        if (names == null) {
            throw new NoSuchFileException(dir.toString());
        }
        List<String> out = new ArrayList<>(names.keySet());
        for (Path d : live.keySet()) {
            if (dir.equals(d.getParent())) {
                out.add(d.getFileName().toString());
            }
        }
        return out;
    }

    @Override
    public synchronized void rename(Path from, Path to) throws IOException {
        from = norm(from);
        to = norm(to);
        if (!from.getParent().equals(to.getParent())) {
            throw new IllegalArgumentException("FaultyDisk renames within one directory only: " + from + " -> " + to);
        }
        check(Kind.RENAME, from, true);
        Map<String, Inode> names = dir(from);
        Inode i = names.remove(from.getFileName().toString());
        if (i == null) {
            throw new NoSuchFileException(from.toString());
        }
        names.put(to.getFileName().toString(), i);
        pendingDirOps.get(from.getParent()).add(new Rename(from.getFileName().toString(), to.getFileName().toString()));
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        file = norm(file);
        check(Kind.DELETE, file, true);
        Map<String, Inode> names = dir(file);
        if (names.remove(file.getFileName().toString()) != null) {
            pendingDirOps.get(file.getParent()).add(new Unlink(file.getFileName().toString()));
        }
    }

    @Override
    public synchronized void syncDirectory(Path dir) throws IOException {
        dir = norm(dir);
        check(Kind.SYNC_DIR, dir, true);
        Map<String, Inode> names = live.get(dir);
        if (names == null) {
            throw new NoSuchFileException(dir.toString());
        }
        durable.put(dir, new TreeMap<>(names));
        pendingDirOps.put(dir, new ArrayList<>());
    }

    @Override
    public synchronized Closeable lock(Path file) throws IOException {
        Path f = norm(file);
        if (!locks.add(f)) {
            throw new IOException(f + " is locked by another process: is another node using this data directory?");
        }
        int gen = generation;
        return () -> {
            synchronized (FaultyDisk.this) {
                if (generation == gen) {
                    locks.remove(f);
                }
            }
        };
    }

    // ------------------------------------------------------------------ internals

    private static Path norm(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private Map<String, Inode> dir(Path file) throws IOException {
        Map<String, Inode> names = live.get(file.getParent());
        if (names == null) {
            throw new NoSuchFileException(file.getParent().toString());
        }
        return names;
    }

    private Inode inode(Path file) throws IOException {
        Inode i = dir(norm(file)).get(norm(file).getFileName().toString());
        if (i == null) {
            throw new NoSuchFileException(file.toString());
        }
        return i;
    }

    private void check(Kind kind, Path path, boolean mutating) throws IOException {
        if (mutations >= haltAfter) {
            throw new IOException("simulated power cut: the disk is gone (" + kind + " " + path + ")");
        }
        Op op = new Op(kind, path);
        for (Fault f : faults) {
            if (f.when().test(op)) {
                throw new IOException(f.message() + " (" + kind + " " + path + ")");
            }
        }
        if (mutating) {
            mutations++;
        }
    }

    private long used() {
        Set<Inode> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        long total = 0;
        for (Map<String, Inode> names : live.values()) {
            for (Inode i : names.values()) {
                if (seen.add(i)) {
                    total += i.size;
                }
            }
        }
        return total;
    }

    private static void ensure(Inode i, int size) {
        if (i.data.length < size) {
            i.data = Arrays.copyOf(i.data, Math.max(size, i.data.length * 2));
        }
    }

    private final class Handle implements DiskFile {
        private final Path created;
        private final Inode inode;
        private final int gen;
        private boolean closed;

        Handle(Path path, Inode inode, int gen) {
            this.created = path;
            this.inode = inode;
            this.gen = gen;
        }

        /** The file's current name (it follows renames, as faults are usually aimed at final names). */
        private Path path() {
            Map<String, Inode> names = live.get(created.getParent());
            if (names != null) {
                for (var e : names.entrySet()) {
                    if (e.getValue() == inode) {
                        return created.resolveSibling(e.getKey());
                    }
                }
            }
            return created;
        }

        private void usable() throws IOException {
            if (closed) {
                throw new IOException("closed: " + path());
            }
            if (gen != generation) {
                throw new IOException("handle to " + path() + " was opened before a crash");
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (FaultyDisk.this) {
                usable();
                check(Kind.READ, path(), false);
                return inode.size;
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            synchronized (FaultyDisk.this) {
                usable();
                check(Kind.READ, path(), false);
                if (position >= inode.size) {
                    return dst.hasRemaining() ? -1 : 0;
                }
                int n = (int) Math.min(dst.remaining(), inode.size - position);
                dst.put(inode.data, (int) position, n);
                return n;
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            synchronized (FaultyDisk.this) {
                usable();
                check(Kind.WRITE, path(), true);
                byte[] bytes = new byte[src.remaining()];
                src.get(bytes);
                boolean full = false;
                if (capacity != Long.MAX_VALUE) {
                    long growth = Math.max(0, position + bytes.length - inode.size);
                    long room = capacity - used();
                    if (growth > room) {
                        // Like write(2) on a full disk: what fits is written, then ENOSPC.
                        bytes = Arrays.copyOf(bytes, (int) Math.max(0, inode.size + room - position));
                        full = true;
                    }
                }
                ensure(inode, (int) position + bytes.length);
                if (position > inode.size) {
                    Arrays.fill(inode.data, inode.size, (int) position, (byte) 0);
                }
                System.arraycopy(bytes, 0, inode.data, (int) position, bytes.length);
                inode.size = Math.max(inode.size, (int) position + bytes.length);
                inode.pending.add(new Write(position, bytes));
                if (full) {
                    throw new IOException("No space left on device");
                }
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (FaultyDisk.this) {
                usable();
                check(Kind.TRUNCATE, path(), true);
                if (size < inode.size) {
                    inode.size = (int) size;
                    inode.pending.add(new Truncate(size));
                }
            }
        }

        @Override
        public void force() throws IOException {
            Runnable hook;
            synchronized (FaultyDisk.this) {
                hook = beforeForce;
            }
            if (hook != null) {
                hook.run();
            }
            synchronized (FaultyDisk.this) {
                usable();
                check(Kind.FORCE, path(), true);
                inode.durable = Arrays.copyOf(inode.data, inode.size);
                inode.pending.clear();
                forces++;
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
