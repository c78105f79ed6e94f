package io.raftkv.node;

import io.raftkv.raft.Peer;
import io.raftkv.raft.SnapshotMetadata;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The backup file {@code GET /snapshot} serves and {@code raftkv.restore-from} reads. All integers
 * big-endian; {@code string} is an int length then UTF-8 bytes.
 * <pre>
 * 8 bytes  magic "RAFTKVBK"
 * int      format version (1)
 * string   cluster ID of the cluster the backup was taken from
 * long     index: the last log entry the state includes (at or after a linearizable read index)
 * long     term of that entry
 * int      number of voters, then per voter: string member id, string peer URL
 * long     length of the state machine snapshot
 * bytes    the state machine snapshot ({@code kv.KvSnapshotCodec}, with its own CRC-32C)
 * 32 bytes SHA-256 of every byte above
 * </pre>
 * The trailing digest covers the header too, so any flipped bit, a cut-off tail or extra bytes are
 * refused before anything is restored.
 */
public final class BackupFormat {
    static final byte[] MAGIC = "RAFTKVBK".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int DIGEST_BYTES = 32;
    private static final int MAX_VOTERS = 1024;
    private static final int MAX_STRING = 4096;

    /** What the header says; {@code length} is the header's own size in bytes. */
    public record Header(String clusterId, long index, long term, List<Peer> voters, long dataLength, long length) {
    }

    /** A file that verified: its header, where the state machine bytes start, and its SHA-256 in hex. */
    public record Verified(Header header, long dataOffset, String sha256) {
    }

    private BackupFormat() {
    }

    /** The header of a backup of {@code dataLength} state machine bytes at {@code at}. */
    static byte[] header(String clusterId, SnapshotMetadata at, long dataLength) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeInt(VERSION);
            writeString(out, clusterId);
            out.writeLong(at.index());
            out.writeLong(at.term());
            List<Peer> voters = at.membership().voters();
            out.writeInt(voters.size());
            for (Peer p : voters) {
                writeString(out, p.id());
                writeString(out, p.address());
            }
            out.writeLong(dataLength);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads {@code file} once from start to end and checks everything but the state machine bytes'
     * own structure: magic, version, header, lengths and the trailing SHA-256.
     *
     * @throws IOException with a message that names the file and what is wrong with it
     */
    public static Verified verify(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IOException("cannot read the backup file " + file + ": " + e, e);
        }
        MessageDigest digest = sha256();
        try (InputStream raw = Files.newInputStream(file);
             DigestInputStream hashed = new DigestInputStream(new java.io.BufferedInputStream(raw, 1 << 16), digest)) {
            DataInputStream in = new DataInputStream(hashed);
            Header h = readHeader(file, in);
            long dataOffset = h.length();
            if (size != dataOffset + h.dataLength() + DIGEST_BYTES) {
                throw bad(file, "it has " + size + " bytes but its header says " + (dataOffset + h.dataLength() + DIGEST_BYTES)
                        + (size < dataOffset + h.dataLength() + DIGEST_BYTES ? ": it is truncated" : ": it has extra bytes at the end"));
            }
            byte[] buffer = new byte[1 << 16];
            for (long left = h.dataLength(); left > 0; ) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw bad(file, "it is truncated");
                }
                left -= n;
            }
            byte[] computed = digest.digest();
            byte[] stored = in.readNBytes(DIGEST_BYTES);
            if (!Arrays.equals(computed, stored)) {
                throw bad(file, "its SHA-256 checksum does not match (stored " + HexFormat.of().formatHex(stored)
                        + ", computed " + HexFormat.of().formatHex(computed) + "): it is damaged");
            }
            return new Verified(h, dataOffset, HexFormat.of().formatHex(computed));
        }
    }

    /** The state machine snapshot of a {@link #verify verified} file. */
    public static byte[] stateMachineBytes(Path file, Verified v) throws IOException {
        if (v.header().dataLength() > Integer.MAX_VALUE - 16) {
            throw bad(file, "its state machine snapshot of " + v.header().dataLength() + " bytes is larger than a node can hold");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer data = ByteBuffer.allocate((int) v.header().dataLength());
            while (data.hasRemaining()) {
                if (ch.read(data, v.dataOffset() + data.position()) < 0) {
                    throw bad(file, "it is truncated");
                }
            }
            return data.array();
        }
    }

    /**
     * The SHA-256 stored at the end of {@code file}, unverified (to recognize a file already restored
     * without reading it all); empty if it cannot be read.
     */
    public static Optional<String> storedChecksum(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < DIGEST_BYTES) {
                return Optional.empty();
            }
            ByteBuffer b = ByteBuffer.allocate(DIGEST_BYTES);
            while (b.hasRemaining() && ch.read(b, size - DIGEST_BYTES + b.position()) > 0) {
                // read until full
            }
            return b.hasRemaining() ? Optional.empty() : Optional.of(HexFormat.of().formatHex(b.array()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Header readHeader(Path file, DataInputStream in) throws IOException {
        try {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw bad(file, "it does not start with the magic \"RAFTKVBK\": it is not a raftkv backup");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw bad(file, "its format version is " + version + "; this node reads version " + VERSION);
            }
            long[] length = {MAGIC.length + 4 + 8 + 8 + 4 + 8};
            String clusterId = readString(file, in, "cluster ID", length);
            long index = in.readLong();
            long term = in.readLong();
            if (index < 1 || term < 0) {
                throw bad(file, "its header names index " + index + " and term " + term);
            }
            int n = in.readInt();
            if (n < 1 || n > MAX_VOTERS) {
                throw bad(file, "its header names " + n + " voters");
            }
            List<Peer> voters = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String id = readString(file, in, "member id", length);
                String address = readString(file, in, "peer URL", length);
                if (id.isBlank()) {
                    throw bad(file, "voter #" + i + " has a blank id");
                }
                voters.add(new Peer(id, address));
            }
            long dataLength = in.readLong();
            if (dataLength < 0) {
                throw bad(file, "its header gives a negative data length");
            }
            return new Header(clusterId, index, term, voters, dataLength, length[0]);
        } catch (EOFException e) {
            throw bad(file, "it is truncated inside its header");
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /** Reads a string and adds its encoded size to {@code length[0]}. */
    private static String readString(Path file, DataInputStream in, String what, long[] length) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING) {
            throw bad(file, "its " + what + " has the impossible length " + n);
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException();
        }
        length[0] += 4 + n;
        return new String(b, StandardCharsets.UTF_8);
    }

    private static IOException bad(Path file, String why) {
        return new IOException("the backup file " + file + " cannot be restored: " + why);
    }
}
