package io.raftkv.node;

import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One backup in the {@link BackupFormat}, ready to stream: the state machine is copied once, by the
 * apply thread, to a file in the data directory (not into the heap, which already holds the store),
 * then hashed, so its checksum is known before the first byte is sent. Closing deletes the file.
 */
public final class Backup implements AutoCloseable {
    /** The work file's name in the data directory; one backup at a time per node, so one name. */
    static final String WORK_FILE = "backup-in-progress.tmp";

    private final Path data;
    private final byte[] header;
    private final byte[] digest;
    private final SnapshotMetadata at;
    private final long length;

    private Backup(Path data, byte[] header, byte[] digest, SnapshotMetadata at, long dataLength) {
        this.data = data;
        this.header = header;
        this.digest = digest;
        this.at = at;
        this.length = header.length + dataLength + digest.length;
    }

    /**
     * Copies {@code node}'s applied state into {@code dataDir}; call after a linearizable
     * {@link RaftKvNode#readBarrier}, so the copy includes every write acknowledged before it. The
     * apply thread only captures the state; the copy is written here, so applying does not wait for it.
     *
     * @param wait how long the apply thread may take to capture the state
     */
    public static Backup take(RaftKvNode node, Path dataDir, Duration wait) throws IOException, InterruptedException {
        Path file = dataDir.resolve(WORK_FILE);
        Snapshot captured;
        try {
            captured = node.captureAppliedState().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("capturing the state for a backup failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the apply thread did not capture the state for a backup within " + wait.toSeconds() + " s");
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            captured.content().writeTo(out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw new IOException("copying the state for a backup failed: " + e, e);
        }
        SnapshotMetadata at = captured.metadata();
        long dataLength = Files.size(file);
        byte[] header = BackupFormat.header(node.clusterId(), at, dataLength);
        MessageDigest sha = BackupFormat.sha256();
        sha.update(header);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return new Backup(file, header, sha.digest(), at, dataLength);
    }

    public long index() {
        return at.index();
    }

    public long term() {
        return at.term();
    }

    public String sha256() {
        return HexFormat.of().formatHex(digest);
    }

    public byte[] sha256Bytes() {
        return digest.clone();
    }

    /** Bytes {@link #writeTo} writes. */
    public long length() {
        return length;
    }

    /** Streams the whole backup file: header, the state machine bytes, checksum. */
    public void writeTo(OutputStream out) throws IOException {
        out.write(header);
        Files.copy(data, out);
        out.write(digest);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(data);
    }
}
