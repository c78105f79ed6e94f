package io.raftkv.node;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.storage.DurableStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code raftkv.restore-from}, as etcd's {@code snapshot restore}: before the node starts, turns an
 * empty data directory into the first state of a new cluster whose snapshot is the backup's state at
 * the backup's index (in term 0: terms start afresh) and whose voters are {@code raftkv.cluster} (not
 * the backup's). Every member is started with the same
 * file and derives the same cluster ID (from the file's checksum, the members and the cluster token),
 * which never equals the old cluster's, so old and new members cannot mix.
 *
 * <p>A data directory that already holds data is never overwritten. If it was made by restoring this
 * same file (a restart with the setting still on), the node starts on it; otherwise it refuses to start.
 */
public final class Restore {
    private static final Logger log = LoggerFactory.getLogger(Restore.class);
    /** Written into the data directory by a restore: the backup's SHA-256, then where it came from. */
    static final String MARKER = "restored-from";

    private Restore() {
    }

    /** @throws IOException if the file is not a backup that verifies, or the directory holds other data */
    public static void prepare(RaftKvNode.Settings s, Path backup) throws IOException {
        RaftStorage storage = DurableStorage.open(s.dataDir());
        try {
            if (storage.isBootstrapped()) {
                checkAlreadyRestored(s.dataDir(), backup);
                return;
            }
            restore(s, backup, storage);
        } finally {
            DurableStorage.close(storage);
        }
    }

    private static void restore(RaftKvNode.Settings s, Path file, RaftStorage storage) throws IOException {
        BackupFormat.Verified backup = BackupFormat.verify(file);
        BackupFormat.Header h = backup.header();
        byte[] data = BackupFormat.stateMachineBytes(file, backup);
        KvStateMachine check = new KvStateMachine(s.idempotency());
        try {
            check.restore(new ByteArrayInputStream(data));
        } catch (IOException e) {
            throw new IOException("the backup file " + file + " cannot be restored: its checksum matches but its state"
                    + " does not decode (" + e.getMessage() + ")", e);
        }
        if (check.appliedIndex() != h.index()) {
            throw new IOException("the backup file " + file + " cannot be restored: its header says index " + h.index()
                    + " but its state is at index " + check.appliedIndex());
        }
        // An ID left by a restore that crashed before its snapshot may be another file's: derive it afresh.
        Files.deleteIfExists(s.dataDir().resolve(ClusterId.FILE));
        String clusterId = ClusterId.loadOrCreate(s.dataDir(), s.bootstrap(), restoredToken(s.clusterToken(), backup.sha256()));
        Files.writeString(s.dataDir().resolve(MARKER), backup.sha256() + "\ncluster " + h.clusterId() + " index " + h.index()
                + " term " + h.term() + " file " + file.toAbsolutePath() + "\n", StandardCharsets.UTF_8);
        if (s.bootstrap().voters().size() > 1) {
            // As a new directory bootstrapped from raftkv.cluster: the first start of a restored cluster
            // passes at once (no member heard from another yet), but a member that later loses its disk
            // and is restored again with the setting still on stays out instead of voting on old data.
            IdentityCheck.mark(s.dataDir());
        }
        // A new cluster starts at term 0, as a bootstrapped one does, but at the backup's index, so that
        // revisions go on increasing. The log first, the snapshot last: the snapshot is what makes the
        // directory bootstrapped, so a crash before it leaves a directory this restore simply redoes.
        storage.log().reset(h.index(), 0);
        storage.snapshots().save(new Snapshot(new SnapshotMetadata(h.index(), 0, s.bootstrap()), data));
        log.info("{}: restored {} (cluster {}, index {}, term {}, {} keys, sha256 {}) into {} as the new cluster {} of {}",
                s.id(), file, h.clusterId(), h.index(), h.term(), check.keyCount(), backup.sha256(), s.dataDir(), clusterId,
                s.bootstrap().ids());
    }

    /**
     * The cluster token a restored cluster's ID is derived with: the backup's checksum mixed in, so
     * the ID differs from the old cluster's and from one restored from another backup.
     */
    static String restoredToken(String clusterToken, String sha256) {
        return clusterToken + "\nrestored from backup " + sha256;
    }

    private static void checkAlreadyRestored(Path dir, Path file) throws IOException {
        Path marker = dir.resolve(MARKER);
        if (!Files.exists(marker)) {
            throw new IOException("raftkv.restore-from is set, but the data directory " + dir + " already holds this node's"
                    + " data, which a restore never overwrites. To restore " + file + ", stop every member, move their data"
                    + " directories away and start them all with raftkv.restore-from; to keep the data, unset raftkv.restore-from.");
        }
        String restored = Files.readAllLines(marker, StandardCharsets.UTF_8).get(0).trim();
        Optional<String> sha = BackupFormat.storedChecksum(file);
        if (sha.isEmpty()) {
            log.warn("raftkv.restore-from names {}, which cannot be read, but {} was already restored from backup {}: starting"
                    + " on its data. Unset raftkv.restore-from.", file, dir, restored);
        } else if (!sha.get().equals(restored)) {
            throw new IOException("raftkv.restore-from names " + file + " (sha256 " + sha.get() + "), but the data directory "
                    + dir + " was restored from another backup (sha256 " + restored + ") and holds data a restore never"
                    + " overwrites. To restore the new file, move the data directories of every member away first.");
        } else {
            log.info("{} was restored from {} before; starting on its data (raftkv.restore-from can be unset now)", dir, file);
        }
    }
}
