package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.LogStore;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The segmented write-ahead log.
 *
 * <h2>On disk</h2>
 * Segment files named after the index of their first entry ({@code 00000000000000000001.wal}). Each
 * starts with a header: magic, format version, the index and term of the entry <em>before</em> the
 * segment's first (so the first segment alone tells where the log starts after compaction) and a
 * CRC32C of those. Then records, each framed as
 * <pre>
 *   length:int  payloadCrc:int  headerCrc:int  |  index:long term:long type:byte data...
 *   \______ frame header (12 bytes) ________/     \______ payload (length bytes) ______/
 * </pre>
 * The frame carries a checksum of its own length field so that a flipped bit in a length can never
 * pass for a record that simply runs past the end of the file (a torn write), which recovery would
 * silently cut off, taking synced records behind it along.
 *
 * <h2>Durability rules this class keeps</h2>
 * <ul>
 *   <li>{@link #append} writes a whole batch and fsyncs once before it returns: callers batch (per
 *       Ready, or through {@link GroupCommitLog}) and so share one fsync among many entries.</li>
 *   <li>Only the last segment is ever written. A full segment is fsynced before the next one is
 *       created, and new segments appear by rename after their header is synced, so after any crash
 *       only the last segment can end in a torn record, and every segment header is whole.</li>
 *   <li>Segments are only ever deleted from the end (suffix truncation, reset) or from the front
 *       (compaction: one segment per {@link #tidy}, renamed out of the log and then unlinked), and
 *       the directory is synced before anything that relies on the delete, so the surviving
 *       segments always form one unbroken chain.</li>
 *   <li>After an I/O error nothing more is written (see {@link StorageHealth}).</li>
 * </ul>
 *
 * <h2>Recovery</h2>
 * Every record is read and checked. A torn record at the very end of the last segment (fewer bytes
 * than its frame says, or zeros where a file system extended the file before the data landed: a zero
 * tail, or a final record with a zeroed sector) is cut off. Anything else that does not check out stops the open with a {@link CorruptStorageException}
 * naming the file and offset: never skip or invent an entry.
 *
 * <p>Thread-safety: methods are synchronized. The node drives it from one thread; the lock only
 * matters for the group-commit front and for readers on other threads.
 */
public final class DurableLogStore implements LogStore, Closeable {

    private static final System.Logger LOG = System.getLogger(DurableLogStore.class.getName());

    static final String SUFFIX = ".wal";
    /** Added to a compacted segment's name before it is unlinked; recovery deletes such files. */
    static final String DISCARD_SUFFIX = ".discard";
    static final int SEGMENT_HEADER_BYTES = 4 + 4 + 8 + 8 + 4;
    static final int FRAME_HEADER_BYTES = 12;
    static final int PAYLOAD_HEADER_BYTES = 8 + 8 + 1;
    private static final int RECORD_OVERHEAD = FRAME_HEADER_BYTES + PAYLOAD_HEADER_BYTES;
    private static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{20})\\.wal");

    private final Disk disk;
    private final Path dir;
    private final StorageHealth health;
    private final StorageOptions options;
    private final Closeable dirLock;

    /** Oldest first. Only the last is written to. */
    private final ArrayList<Segment> segments = new ArrayList<>();

    /** The snapshot point: the entry before the first one held, and its term. */
    private long startIndex;
    private long startTerm;

    /**
     * Term and in-segment offset of every held entry, {@code startIndex + 1 + i} at position i:
     * primitive arrays make {@link #term} O(1) and cost 12 bytes an entry instead of an object each.
     */
    private long[] terms = new long[1024];
    private int[] offsets = new int[1024];
    private int count;

    private final EntryCache cache;
    private ByteBuffer writeBuffer = ByteBuffer.allocate(1 << 16);
    private boolean closed;

    private static final class Segment {
        final Path path;
        final DiskFile file;
        final long firstIndex;
        final long prevTerm;
        long lastIndex;
        long size;

        Segment(Path path, DiskFile file, long firstIndex, long prevTerm) {
            this.path = path;
            this.file = file;
            this.firstIndex = firstIndex;
            this.prevTerm = prevTerm;
            this.lastIndex = firstIndex - 1;
            this.size = SEGMENT_HEADER_BYTES;
        }
    }

    private DurableLogStore(Disk disk, Path dir, StorageHealth health, StorageOptions options, Closeable dirLock) {
        this.disk = disk;
        this.dir = dir;
        this.health = health;
        this.options = options;
        this.dirLock = dirLock;
        this.cache = new EntryCache(options.cacheEntries(), options.cacheBytes());
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, recovering it: checks every record, cuts a
     * torn tail, and refuses with a {@link CorruptStorageException} if anything else is wrong.
     * Takes an exclusive lock on the directory until {@link #close}.
     */
    public static DurableLogStore open(Disk disk, Path dir, StorageHealth health, StorageOptions options)
            throws IOException {
        disk.createDirectories(dir);
        Closeable lock = disk.lock(dir.resolve("LOCK"));
        DurableLogStore log = new DurableLogStore(disk, dir, health, options, lock);
        try {
            log.recover();
            return log;
        } catch (IOException | RuntimeException e) {
            log.closeQuietly();
            throw e;
        }
    }

    public StorageHealth health() {
        return health;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public synchronized long firstIndex() {
        return startIndex + 1;
    }

    @Override
    public synchronized long lastIndex() {
        return startIndex + count;
    }

    @Override
    public synchronized long term(long index) {
        LogBounds.checkTerm(index, startIndex, lastIndex());
        if (index == startIndex) {
            return startTerm;
        }
        return terms[(int) (index - startIndex - 1)];
    }

    @Override
    public synchronized List<Entry> entries(long from, long to, long maxBytes) {
        LogBounds.checkRange(from, to, startIndex, lastIndex());
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        long i = from;
        while (i < to) {
            Entry cached = cache.get(i);
            if (cached != null) {
                bytes += cached.sizeBytes();
                if (!out.isEmpty() && bytes > maxBytes) {
                    break;
                }
                out.add(cached);
                i++;
                continue;
            }
            // Not cached: read the longest run that stays in one segment, before the cache, and
            // within the byte budget (sizes are known from the offsets without touching the disk).
            Segment seg = segments.get(segmentFor(i));
            long cacheStart = cache.firstIndex();
            long runEnd = Math.min(cacheStart > i ? Math.min(to, cacheStart) : to, seg.lastIndex + 1);
            long j = i;
            while (j < runEnd) {
                long size = recordEnd(seg, j) - offset(j) - RECORD_OVERHEAD + Entry.OVERHEAD_BYTES;
                if (j > i || !out.isEmpty()) {
                    if (bytes + size > maxBytes) {
                        break;
                    }
                }
                bytes += size;
                j++;
            }
            if (j == i) {
                break; // budget spent
            }
            out.addAll(read(seg, i, j));
            i = j;
            if (j < runEnd) {
                break;
            }
        }
        return out;
    }

    private List<Entry> read(Segment seg, long from, long to) {
        long start = offset(from);
        long end = recordEnd(seg, to - 1);
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(end - start));
        try {
            seg.file.readFully(buf, start);
        } catch (IOException e) {
            throw health.fail("reading entries " + from + ".." + (to - 1) + " from " + seg.path, e);
        }
        buf.flip();
        List<Entry> out = new ArrayList<>((int) (to - from));
        for (long i = from; i < to; i++) {
            long at = offset(i);
            Record r = Record.decode(buf, (int) (at - start));
            String problem = r.problem();
            if (problem == null && r.entry().index() != i) {
                problem = "record holds index " + r.entry().index() + " where " + i + " belongs";
            }
            if (problem != null) {
                CorruptStorageException e = new CorruptStorageException(seg.path, at, problem + " (found while reading)");
                health.fail("reading the log", e);
                throw e;
            }
            out.add(r.entry());
        }
        return out;
    }

    // ------------------------------------------------------------------ writes

    @Override
    public synchronized void append(List<Entry> batch) {
        if (batch.isEmpty()) {
            return;
        }
        checkOpen();
        LogBounds.checkAppend(batch, startIndex, lastIndex());
        long first = batch.get(0).index();
        long last = batch.get(batch.size() - 1).index();
        for (Entry e : batch) {
            if (e.data().length > Integer.MAX_VALUE - 1024) {
                throw new IllegalArgumentException("entry " + e.index() + " is too large: " + e.data().length + " bytes");
            }
        }
        health.checkWritable();
        Segment seg = segments.isEmpty() ? null : segments.get(segments.size() - 1);
        try {
            if (first <= lastIndex()) {
                truncateFrom(first);
            }
            if (segments.isEmpty()) {
                createSegment(startIndex, startTerm);
            }
            seg = segments.get(segments.size() - 1);
            ByteBuffer buf = writeBuffer;
            buf.clear();
            int batchStart = 0; // first entry of the batch not yet durable
            for (int k = 0; k < batch.size(); k++) {
                Entry e = batch.get(k);
                int recordBytes = RECORD_OVERHEAD + e.data().length;
                long end = seg.size + buf.position();
                if (end > SEGMENT_HEADER_BYTES && end + recordBytes > options.segmentBytes()) {
                    // Sync the full segment before the next exists: then after any crash only the
                    // last segment can have a torn tail.
                    flush(seg, buf, batch, batchStart, k);
                    batchStart = k;
                    seg = createSegment(e.index() - 1, term(e.index() - 1));
                }
                if (buf.remaining() < recordBytes) {
                    buf = grow(buf, recordBytes);
                }
                Record.encode(buf, e);
            }
            flush(seg, buf, batch, batchStart, batch.size());
        } catch (IOException e) {
            throw health.fail("appending entries " + first + ".." + last
                    + " to " + (seg == null ? dir : seg.path), e);
        }
    }

    /** Writes the encoded entries {@code batch[from, to)} to the segment, fsyncs, and only then indexes them. */
    private void flush(Segment seg, ByteBuffer buf, List<Entry> batch, int from, int to) throws IOException {
        buf.flip();
        long pos = seg.size;
        seg.file.write(buf, pos);
        seg.file.force();
        buf.clear();
        for (int k = from; k < to; k++) {
            Entry e = batch.get(k);
            index(e.term(), pos);
            pos += RECORD_OVERHEAD + e.data().length;
            cache.add(e);
        }
        seg.size = pos;
        seg.lastIndex = lastIndex();
    }

    private ByteBuffer grow(ByteBuffer buf, int needed) {
        int size = Math.max(buf.capacity() * 2, buf.position() + needed);
        ByteBuffer bigger = ByteBuffer.allocate(size);
        buf.flip();
        bigger.put(buf);
        // Keep buffers that served a large batch only up to a bound, so one huge entry does not pin memory.
        if (size <= (8 << 20)) {
            writeBuffer = bigger;
        }
        return bigger;
    }

    /** Drops entries from {@code first} on: later segments go whole, the one holding {@code first} is cut. */
    private void truncateFrom(long first) throws IOException {
        int si = segmentFor(first);
        boolean deleted = false;
        for (int k = segments.size() - 1; k > si; k--) {
            deleteSegment(segments.remove(k));
            deleted = true;
        }
        if (deleted) {
            // The deletes must be durable before new entries take those indexes: a segment that came
            // back after a crash would otherwise splice stale entries in after the new ones.
            disk.syncDirectory(dir);
        }
        Segment seg = segments.get(si);
        long off = offset(first);
        seg.file.truncate(off); // made durable by the fsync that follows the new entries
        seg.size = off;
        seg.lastIndex = first - 1;
        count = (int) (first - startIndex - 1);
        cache.truncateFrom(first);
    }

    @Override
    public synchronized void compact(long index) {
        checkOpen();
        if (index <= startIndex) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalArgumentException("cannot compact to " + index + " beyond last " + lastIndex());
        }
        health.checkWritable();
        long t = term(index);
        int drop = (int) (index - startIndex);
        System.arraycopy(terms, drop, terms, 0, count - drop);
        System.arraycopy(offsets, drop, offsets, 0, count - drop);
        count -= drop;
        startIndex = index;
        startTerm = t;
        cache.dropBefore(index + 1);
        tidy();
    }

    /**
     * Deletes the oldest segment if it holds only compacted entries, unlinking it beside the caller's
     * thread ({@link Disk#discard}): a file system frees a file's blocks as it unlinks it (13 ms for a
     * 64 MB segment on this project's ext4 machines, up to 70 ms under load), and compacting after a
     * burst of large values unlinked several at once, which held the Raft thread for 0.4 s on every
     * node together. One per call still paces the unlinks, which share the file system's journal with
     * the log's own syncs. Whole segments only, oldest first, never the one being written: no file is
     * rewritten, and a segment still here after a crash makes a log that merely starts earlier, which
     * recovery accepts; until deleted it stays in {@link #segments}, so truncation and {@link #reset}
     * see it as before.
     */
    @Override
    public synchronized boolean tidy() {
        if (closed || !oldestIsCompacted()) {
            return false;
        }
        health.checkWritable();
        Segment seg = segments.remove(0);
        try {
            // Renamed to a name recovery deletes, and the rename synced (a crash would otherwise bring
            // the segment back, and with it every one deleted since, for the next start to read), then
            // unlinked beside this thread (Disk.discard).
            seg.file.close();
            Path discarded = seg.path.resolveSibling(seg.path.getFileName() + DISCARD_SUFFIX);
            disk.rename(seg.path, discarded);
            disk.syncDirectory(dir);
            disk.discard(discarded);
        } catch (IOException e) {
            throw health.fail("deleting compacted segment " + seg.path, e);
        }
        return oldestIsCompacted();
    }

    /** Whether the oldest segment holds only compacted entries and is not the one being written. */
    private boolean oldestIsCompacted() {
        return segments.size() > 1 && segments.get(0).lastIndex <= startIndex;
    }

    @Override
    public synchronized void reset(long index, long term) {
        checkOpen();
        health.checkWritable();
        try {
            // Newest first, so that a crash part-way leaves a prefix of the old log, which
            // RaftStorage.recover() knows how to line up with the snapshot saved before this call.
            boolean deleted = false;
            for (int k = segments.size() - 1; k >= 0; k--) {
                deleteSegment(segments.remove(k));
                deleted = true;
            }
            if (deleted) {
                disk.syncDirectory(dir);
            }
            count = 0;
            startIndex = index;
            startTerm = term;
            cache.clear();
            createSegment(index, term);
        } catch (IOException e) {
            throw health.fail("resetting the log to " + index + "@" + term + " in " + dir, e);
        }
    }

    private Segment createSegment(long prevIndex, long prevTerm) throws IOException {
        String name = segmentName(prevIndex + 1);
        Path tmp = dir.resolve(name + FileFormat.TMP_SUFFIX);
        Path path = dir.resolve(name);
        DiskFile f = disk.create(tmp);
        try {
            ByteBuffer h = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
            h.putInt(FileFormat.LOG_MAGIC).putInt(FileFormat.VERSION).putLong(prevIndex).putLong(prevTerm);
            h.putInt(FileFormat.crc32c(h.array(), 0, h.position()));
            h.flip();
            f.write(h, 0);
            f.force();
            // Appear under the real name only with a whole, synced header: recovery then never
            // has to guess whether a short header is a crash or damage.
            disk.rename(tmp, path);
            disk.syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
        Segment seg = new Segment(path, f, prevIndex + 1, prevTerm);
        segments.add(seg);
        return seg;
    }

    private void deleteSegment(Segment seg) throws IOException {
        seg.file.close();
        disk.delete(seg.path);
    }

    // ------------------------------------------------------------------ recovery

    private void recover() throws IOException {
        List<Long> firsts = new ArrayList<>();
        for (String name : disk.list(dir)) {
            if (name.endsWith(SUFFIX + FileFormat.TMP_SUFFIX)) {
                disk.delete(dir.resolve(name)); // a segment that never got its name; holds no entries
                continue;
            }
            if (name.endsWith(SUFFIX + DISCARD_SUFFIX)) {
                disk.delete(dir.resolve(name)); // a compacted segment that was being deleted (see tidy)
                continue;
            }
            Matcher m = SEGMENT_NAME.matcher(name);
            if (m.matches()) {
                firsts.add(Long.parseLong(m.group(1)));
            } else if (name.endsWith(SUFFIX)) {
                throw new CorruptStorageException(dir.resolve(name), 0, "unexpected file name for a log segment");
            }
        }
        firsts.sort(null);
        for (int k = 0; k < firsts.size(); k++) {
            Path path = dir.resolve(segmentName(firsts.get(k)));
            DiskFile f = disk.open(path);
            Segment seg;
            try {
                seg = openSegment(path, f, firsts.get(k));
            } catch (IOException | RuntimeException e) {
                f.close();
                throw e;
            }
            if (segments.isEmpty()) {
                startIndex = seg.firstIndex - 1;
                startTerm = seg.prevTerm;
            } else {
                Segment prev = segments.get(segments.size() - 1);
                if (seg.firstIndex != prev.lastIndex + 1 || seg.prevTerm != lastTermOr(prev)) {
                    segments.add(seg); // so close() releases it
                    throw new CorruptStorageException(path, 0, "segment follows entry " + (seg.firstIndex - 1)
                            + "@" + seg.prevTerm + " but the previous segment " + prev.path.getFileName()
                            + " ends at entry " + prev.lastIndex + "@" + lastTermOr(prev)
                            + ": a segment is missing or out of place");
                }
            }
            segments.add(seg);
            scan(seg, k == firsts.size() - 1);
        }
    }

    private long lastTermOr(Segment seg) {
        return seg.lastIndex >= seg.firstIndex ? terms[(int) (seg.lastIndex - startIndex - 1)] : seg.prevTerm;
    }

    private static Segment openSegment(Path path, DiskFile f, long nameIndex) throws IOException {
        ByteBuffer h = FileFormat.readHeader(path, f, SEGMENT_HEADER_BYTES, FileFormat.LOG_MAGIC, "log segment");
        long prevIndex = h.getLong();
        long prevTerm = h.getLong();
        int crc = h.getInt();
        if (crc != FileFormat.crc32c(h.array(), 0, SEGMENT_HEADER_BYTES - 4)) {
            throw new CorruptStorageException(path, 0, "segment header checksum mismatch");
        }
        if (prevIndex + 1 != nameIndex) {
            throw new CorruptStorageException(path, 0, "file name says the segment starts at " + nameIndex
                    + " but its header says " + (prevIndex + 1));
        }
        return new Segment(path, f, prevIndex + 1, prevTerm);
    }

    /** Reads and checks every record of a segment, indexing them; cuts a torn tail of the last segment. */
    private void scan(Segment seg, boolean last) throws IOException {
        long fileSize = seg.file.size();
        SegmentReader in = new SegmentReader(seg.file, fileSize);
        long pos = SEGMENT_HEADER_BYTES;
        long expected = seg.firstIndex;
        long prevTerm = seg.prevTerm;
        String tornTail = null;
        while (pos < fileSize) {
            if (fileSize - pos < FRAME_HEADER_BYTES) {
                tornTail = "incomplete record header (" + (fileSize - pos) + " bytes)";
                break;
            }
            ByteBuffer frame = in.read(pos, FRAME_HEADER_BYTES);
            int length = frame.getInt(0);
            if (frame.getInt(8) != FileFormat.crc32c(frame, 0, 8)) {
                if (in.allZero(pos, fileSize)) {
                    tornTail = "zero-filled tail";
                    break;
                }
                throw new CorruptStorageException(seg.path, pos, "record header checksum mismatch");
            }
            if (length < PAYLOAD_HEADER_BYTES) {
                throw new CorruptStorageException(seg.path, pos, "impossible record length " + length);
            }
            if (pos + FRAME_HEADER_BYTES + length > fileSize) {
                tornTail = "record of " + length + " bytes runs past the end of the file";
                break;
            }
            long end = pos + FRAME_HEADER_BYTES + length;
            ByteBuffer rec = in.read(pos, FRAME_HEADER_BYTES + length);
            Record r = Record.decode(rec, 0);
            if (r.problem() != null) {
                if (last && in.hasZeroSector(pos, end) && in.allZero(end, fileSize)) {
                    // The final record, whole in length but with a sector of zeros: a file system
                    // that extended the file before the data landed (XFS can). Damage to a synced
                    // record would rarely be whole zero sectors, and never only in the final one.
                    tornTail = "final record has a zeroed sector (" + r.problem() + ")";
                    break;
                }
                throw new CorruptStorageException(seg.path, pos, r.problem());
            }
            Entry e = r.entry();
            if (e.index() != expected) {
                throw new CorruptStorageException(seg.path, pos, "record holds index " + e.index() + ", expected " + expected);
            }
            if (e.term() < prevTerm) {
                throw new CorruptStorageException(seg.path, pos, "term goes back from " + prevTerm + " to " + e.term()
                        + " at index " + e.index());
            }
            index(e.term(), pos);
            prevTerm = e.term();
            expected++;
            pos += FRAME_HEADER_BYTES + length;
        }
        if (tornTail != null) {
            if (!last) {
                throw new CorruptStorageException(seg.path, pos, tornTail + " in a segment that is not the last");
            }
            // A crash in the middle of an append: nothing after this point was ever acknowledged,
            // because acknowledging waits for the fsync that would have made it whole.
            LOG.log(System.Logger.Level.WARNING, "cutting torn tail of {0} at offset {1} ({2} bytes): {3}",
                    seg.path, pos, fileSize - pos, tornTail);
            seg.file.truncate(pos);
            seg.file.force();
        }
        seg.size = pos;
        seg.lastIndex = expected - 1;
    }

    // ------------------------------------------------------------------ index helpers

    private void index(long term, long offset) {
        if (count == terms.length) {
            terms = Arrays.copyOf(terms, count * 2);
            offsets = Arrays.copyOf(offsets, count * 2);
        }
        terms[count] = term;
        offsets[count] = (int) offset;
        count++;
    }

    private long offset(long index) {
        return offsets[(int) (index - startIndex - 1)];
    }

    private long recordEnd(Segment seg, long index) {
        return index < seg.lastIndex ? offset(index + 1) : seg.size;
    }

    /** Position in {@link #segments} of the segment holding {@code index}. */
    private int segmentFor(long index) {
        int lo = 0;
        int hi = segments.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments.get(mid).firstIndex <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    static String segmentName(long firstIndex) {
        return String.format("%020d%s", firstIndex, SUFFIX);
    }

    /** The segment files, oldest first (for tests and tools). */
    synchronized List<Path> segmentPaths() {
        return segments.stream().map(s -> s.path).toList();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("log is closed");
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        closed = true;
        for (Segment s : segments) {
            try {
                s.file.close();
            } catch (IOException ignored) {
                // closing a read-write handle after its data is synced cannot lose anything
            }
        }
        segments.clear();
        try {
            dirLock.close();
        } catch (IOException ignored) {
            // the lock dies with the process anyway
        }
    }

    // ------------------------------------------------------------------ records

    /** A decoded record, or why it could not be decoded. */
    private record Record(Entry entry, String problem) {

        static void encode(ByteBuffer buf, Entry e) {
            int start = buf.position();
            int length = PAYLOAD_HEADER_BYTES + e.data().length;
            buf.putInt(length).putInt(0).putInt(0);
            buf.putLong(e.index()).putLong(e.term()).put(typeCode(e.type())).put(e.data());
            buf.putInt(start + 4, FileFormat.crc32c(buf, start + FRAME_HEADER_BYTES, buf.position()));
            buf.putInt(start + 8, FileFormat.crc32c(buf, start, start + 8));
        }

        /** Decodes the record at {@code at}; the frame must lie wholly inside {@code buf}'s limit. */
        static Record decode(ByteBuffer buf, int at) {
            int length = buf.getInt(at);
            if (buf.getInt(at + 8) != FileFormat.crc32c(buf, at, at + 8)) {
                return new Record(null, "record header checksum mismatch");
            }
            if (length < PAYLOAD_HEADER_BYTES || at + FRAME_HEADER_BYTES + length > buf.limit()) {
                return new Record(null, "record length " + length + " does not fit");
            }
            int p = at + FRAME_HEADER_BYTES;
            if (buf.getInt(at + 4) != FileFormat.crc32c(buf, p, p + length)) {
                return new Record(null, "record checksum mismatch");
            }
            long index = buf.getLong(p);
            long term = buf.getLong(p + 8);
            EntryType type = typeOf(buf.get(p + 16));
            if (type == null) {
                return new Record(null, "unknown entry type " + buf.get(p + 16) + " (written by a newer release?)");
            }
            byte[] data = new byte[length - PAYLOAD_HEADER_BYTES];
            buf.get(p + PAYLOAD_HEADER_BYTES, data);
            return new Record(new Entry(index, term, type, data), null);
        }

        // Explicit codes, not ordinals: reordering the enum must not change what old files mean.
        static byte typeCode(EntryType t) {
            return switch (t) {
                case COMMAND -> 1;
                case NOOP -> 2;
                case MEMBERSHIP -> 3;
            };
        }

        static EntryType typeOf(byte code) {
            return switch (code) {
                case 1 -> EntryType.COMMAND;
                case 2 -> EntryType.NOOP;
                case 3 -> EntryType.MEMBERSHIP;
                default -> null;
            };
        }
    }

    /** Sequential reads through a window, so recovery reads a 1 GB log in large, few calls. */
    private static final class SegmentReader {
        private final DiskFile file;
        private final long fileSize;
        private ByteBuffer window = ByteBuffer.allocate(1 << 20);
        private long windowStart;
        private int windowLength;

        SegmentReader(DiskFile file, long fileSize) {
            this.file = file;
            this.fileSize = fileSize;
        }

        /** {@code length} bytes at {@code pos}, as a buffer whose position 0 is {@code pos}. */
        ByteBuffer read(long pos, int length) throws IOException {
            if (pos < windowStart || pos + length > windowStart + windowLength) {
                if (length > window.capacity()) {
                    window = ByteBuffer.allocate(length);
                }
                window.clear();
                window.limit((int) Math.min(window.capacity(), fileSize - pos));
                file.readFully(window, pos);
                windowStart = pos;
                windowLength = window.limit();
            }
            int from = (int) (pos - windowStart);
            return window.duplicate().limit(from + length).position(from).slice();
        }

        /** Whether any part of {@code [from, to)} lying in one 512-byte sector of the file is all zeros. */
        boolean hasZeroSector(long from, long to) throws IOException {
            for (long p = from; p < to; ) {
                long sectorEnd = Math.min(to, (p / 512 + 1) * 512);
                if (allZero(p, sectorEnd)) {
                    return true;
                }
                p = sectorEnd;
            }
            return false;
        }

        boolean allZero(long from, long to) throws IOException {
            for (long p = from; p < to; ) {
                int n = (int) Math.min(1 << 16, to - p);
                ByteBuffer b = read(p, n);
                for (int i = 0; i < n; i++) {
                    if (b.get(i) != 0) {
                        return false;
                    }
                }
                p += n;
            }
            return true;
        }
    }

    /**
     * The newest entries, contiguous, bounded by count and bytes: a ring with O(1) lookup by index,
     * because the leader reads entry by entry from here on every AppendEntries it sends.
     */
    private static final class EntryCache {
        private final int maxEntries;
        private final long maxBytes;
        private Entry[] ring;
        private int head;
        private int size;
        private long bytes;

        EntryCache(int maxEntries, long maxBytes) {
            this.maxEntries = maxEntries;
            this.maxBytes = maxBytes;
            this.ring = new Entry[Math.min(maxEntries, 1024)];
        }

        long firstIndex() {
            return size == 0 ? Long.MAX_VALUE : ring[head].index();
        }

        private Entry at(int k) {
            return ring[(head + k) % ring.length];
        }

        Entry get(long index) {
            long k = index - firstIndex();
            return k >= 0 && k < size ? at((int) k) : null;
        }

        void add(Entry e) {
            if (maxEntries == 0) {
                return;
            }
            if (size > 0 && at(size - 1).index() + 1 != e.index()) {
                clear();
            }
            if (size == ring.length && ring.length < maxEntries) {
                Entry[] bigger = new Entry[Math.min(maxEntries, ring.length * 2)];
                for (int k = 0; k < size; k++) {
                    bigger[k] = at(k);
                }
                ring = bigger;
                head = 0;
            }
            if (size == ring.length) {
                removeFirst();
            }
            ring[(head + size) % ring.length] = e;
            size++;
            bytes += e.sizeBytes();
            while (bytes > maxBytes && size > 0) {
                removeFirst();
            }
        }

        private void removeFirst() {
            bytes -= ring[head].sizeBytes();
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
        }

        void truncateFrom(long index) {
            while (size > 0 && at(size - 1).index() >= index) {
                int k = (head + size - 1) % ring.length;
                bytes -= ring[k].sizeBytes();
                ring[k] = null;
                size--;
            }
        }

        void dropBefore(long index) {
            while (size > 0 && ring[head].index() < index) {
                removeFirst();
            }
        }

        void clear() {
            Arrays.fill(ring, null);
            head = 0;
            size = 0;
            bytes = 0;
        }
    }
}
