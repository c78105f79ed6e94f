package io.raftkv.raft.storage;

import io.raftkv.raft.HardState;
import io.raftkv.raft.StableStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The hard state (current term, vote) in one small file, {@code hardstate}, replaced atomically on
 * every change: a crash at any point leaves the old state or the new one, never a mix, and
 * {@link #save} returns only once the new one would survive a power cut, so the node never grants
 * a vote or adopts a term it could forget.
 *
 * <p>Layout: magic, format version, term, vote length (-1 for none), vote in UTF-8, CRC32C of all before.
 *
 * <p>The ids this node has heard from live next to it in {@code contacts} (magic, version, count,
 * then each id as length and UTF-8, CRC32C), rewritten the same way when a new id first speaks.
 * A directory made before that file existed gets one on open holding {@link #LEGACY_CONTACT}: every
 * member may have been heard from.
 */
public final class DurableStableStore implements StableStore {
    static final String FILE = "hardstate";
    static final String CONTACTS_FILE = "contacts";
    /** Stands for "anyone": the contacts of a directory from before they were kept are unknown. */
    public static final String LEGACY_CONTACT = "*";

    private final Disk disk;
    private final Path dir;
    private final StorageHealth health;
    private volatile HardState state;
    private volatile Set<String> contacts;

    private DurableStableStore(Disk disk, Path dir, StorageHealth health, HardState state, Set<String> contacts) {
        this.disk = disk;
        this.dir = dir;
        this.health = health;
        this.state = state;
        this.contacts = contacts;
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
        disk.delete(dir.resolve(CONTACTS_FILE + FileFormat.TMP_SUFFIX));
        Path contactsFile = dir.resolve(CONTACTS_FILE);
        Set<String> contacts = Set.of();
        if (disk.exists(contactsFile)) {
            try (DiskFile f = disk.open(contactsFile)) {
                contacts = decodeContacts(contactsFile, FileFormat.readAll(f));
            }
        } else {
            // A hard state without a contacts file is from before contacts were kept: it may have heard from
            // anyone. A new directory gets its (empty) file now, so a hard state saved before the first
            // contact is never taken for that.
            contacts = disk.exists(file) ? Set.of(LEGACY_CONTACT) : Set.of();
            FileFormat.writeAtomically(disk, dir, CONTACTS_FILE, encodeContacts(contacts));
        }
        return new DurableStableStore(disk, dir, health, state, contacts);
    }

    @Override
    public Set<String> contacts() {
        return contacts;
    }

    @Override
    public synchronized void addContact(String id) {
        if (contacts.contains(id)) {
            return;
        }
        health.checkWritable();
        Set<String> next = new HashSet<>(contacts);
        next.add(id);
        try {
            FileFormat.writeAtomically(disk, dir, CONTACTS_FILE, encodeContacts(next));
        } catch (IOException e) {
            throw health.fail("recording contact " + id + " in " + dir.resolve(CONTACTS_FILE), e);
        }
        contacts = Set.copyOf(next);
    }

    static ByteBuffer encodeContacts(Set<String> ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer head = ByteBuffer.allocate(12).putInt(FileFormat.CONTACTS_MAGIC).putInt(FileFormat.VERSION).putInt(ids.size());
        out.writeBytes(head.array());
        for (String id : new TreeSet<>(ids)) {
            byte[] b = id.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        byte[] body = out.toByteArray();
        return ByteBuffer.allocate(body.length + 4).put(body).putInt(FileFormat.crc32c(body, 0, body.length)).flip();
    }

    static Set<String> decodeContacts(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        FileFormat.checkMagicAndVersion(file, b, FileFormat.CONTACTS_MAGIC, "contacts file");
        if (bytes.length < 16 || b.getInt(bytes.length - 4) != FileFormat.crc32c(bytes, 0, bytes.length - 4)) {
            throw new CorruptStorageException(file, 0, "contacts file is truncated or its checksum does not match");
        }
        int n = b.getInt();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            int len = b.getInt();
            if (len < 0 || len > b.remaining() - 4) {
                throw new CorruptStorageException(file, b.position(), "contact length " + len + " runs past the end");
            }
            ids.add(new String(bytes, b.position(), len, StandardCharsets.UTF_8));
            b.position(b.position() + len);
        }
        return Set.copyOf(ids);
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
