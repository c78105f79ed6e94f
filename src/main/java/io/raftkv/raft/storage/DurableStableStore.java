package io.raftkv.raft.storage;

import io.raftkv.raft.HardState;
import io.raftkv.raft.StableStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The hard state (current term, vote) in one small file, {@code hardstate}, replaced atomically on
 * every change: a crash at any point leaves the old state or the new one, never a mix, and
 * {@link #save} returns only once the new one would survive a power cut, so the node never grants
 * a vote or adopts a term it could forget.
 *
 * <p>Layout: magic, format version, term, vote length (-1 for none), vote in UTF-8, CRC32C of all before.
 */
public final class DurableStableStore implements StableStore {
    static final String FILE = "hardstate";

    private final Disk disk;
    private final Path dir;
    private final StorageHealth health;
    private volatile HardState state;

    private DurableStableStore(Disk disk, Path dir, StorageHealth health, HardState state) {
        this.disk = disk;
        this.dir = dir;
        this.health = health;
        this.state = state;
    }

    public static DurableStableStore open(Disk disk, Path dir, StorageHealth health) throws IOException {
        disk.createDirectories(dir);
        disk.delete(dir.resolve(FILE + FileFormat.TMP_SUFFIX)); // a save that never got renamed into place
        Path file = dir.resolve(FILE);
        HardState state = HardState.EMPTY;
        if (disk.exists(file)) {
            try (DiskFile f = disk.open(file)) {
                state = decode(file, FileFormat.readAll(f));
            }
        }
        return new DurableStableStore(disk, dir, health, state);
    }

    @Override
    public HardState load() {
        return state;
    }

    @Override
    public synchronized void save(HardState hs) {
        if (hs.equals(state)) {
            return; // already durable; an fsync would buy nothing
        }
        health.checkWritable();
        try {
            FileFormat.writeAtomically(disk, dir, FILE, encode(hs));
        } catch (IOException e) {
            throw health.fail("saving hard state " + hs + " to " + dir.resolve(FILE), e);
        }
        state = hs;
    }

    static ByteBuffer encode(HardState hs) {
        byte[] vote = hs.votedFor() == null ? null : hs.votedFor().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 4 + (vote == null ? 0 : vote.length) + 4);
        b.putInt(FileFormat.HARD_STATE_MAGIC).putInt(FileFormat.VERSION).putLong(hs.term());
        b.putInt(vote == null ? -1 : vote.length);
        if (vote != null) {
            b.put(vote);
        }
        b.putInt(FileFormat.crc32c(b.array(), 0, b.position()));
        return b.flip();
    }

    static HardState decode(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        FileFormat.checkMagicAndVersion(file, b, FileFormat.HARD_STATE_MAGIC, "hard state file");
        if (bytes.length < 4 + 4 + 8 + 4 + 4) {
            throw new CorruptStorageException(file, 0, "hard state file is too short (" + bytes.length + " bytes)");
        }
        int crc = b.getInt(bytes.length - 4);
        if (crc != FileFormat.crc32c(bytes, 0, bytes.length - 4)) {
            throw new CorruptStorageException(file, bytes.length - 4, "hard state checksum mismatch");
        }
        long term = b.getLong();
        int voteLength = b.getInt();
        if (voteLength != bytes.length - 4 - b.position() && !(voteLength == -1 && b.remaining() == 4)) {
            throw new CorruptStorageException(file, 16, "vote length " + voteLength + " does not match the file size");
        }
        String vote = voteLength < 0 ? null : new String(bytes, b.position(), voteLength, StandardCharsets.UTF_8);
        return new HardState(term, vote);
    }
}
