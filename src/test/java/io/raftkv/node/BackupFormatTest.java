package io.raftkv.node;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.raft.Membership;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backup file: what {@code GET /snapshot} writes verifies and reads back; every kind of damage is refused. */
class BackupFormatTest {
    @TempDir
    static Path dir;
    static Path good;
    static byte[] bytes;
    static Backup taken;
    static String clusterId;
    static long lastRevision;

    @BeforeAll
    static void takeABackup() throws Exception {
        Path data = dir.resolve("n1");
        RaftKvNode node = BackupNodes.started(BackupNodes.settings("n1", data, BackupNodes.alone("n1", 2), "t"));
        try {
            for (int i = 0; i < 50; i++) {
                lastRevision = BackupNodes.put(node, "key/" + i, "value-" + i);
            }
            good = dir.resolve("good.backup");
            taken = BackupNodes.backupTo(node, data, good);
            clusterId = node.clusterId();
        } finally {
            node.close();
        }
        bytes = Files.readAllBytes(good);
        assertThat(Files.exists(data.resolve(Backup.WORK_FILE))).as("the work copy is deleted").isFalse();
    }

    @Test
    void aBackupReadsBackWithItsIndexTermClusterMembersAndState() throws Exception {
        BackupFormat.Verified v = BackupFormat.verify(good);
        assertThat(v.header().clusterId()).isEqualTo(clusterId);
        assertThat(v.header().index()).isEqualTo(taken.index()).isGreaterThanOrEqualTo(lastRevision);
        assertThat(v.header().term()).isEqualTo(taken.term()).isPositive();
        assertThat(new Membership(v.header().voters())).isEqualTo(BackupNodes.alone("n1", 2));
        assertThat(v.sha256()).isEqualTo(taken.sha256()).isEqualTo(BackupFormat.storedChecksum(good).orElseThrow());
        assertThat(bytes.length).isEqualTo(taken.length());
        KvStateMachine kv = new KvStateMachine();
        kv.restore(new ByteArrayInputStream(BackupFormat.stateMachineBytes(good, v)));
        assertThat(kv.appliedIndex()).isEqualTo(v.header().index());
        assertThat(kv.keyCount()).isEqualTo(50);
        assertThat(new String(kv.get("key/49").orElseThrow().value())).isEqualTo("value-49");
        assertThat(kv.get("key/49").orElseThrow().modRevision()).isEqualTo(lastRevision);
    }

    @Test
    void everyTruncationIsRefused() throws Exception {
        for (int length = 0; length < bytes.length; length++) {
            assertRefused(Arrays.copyOf(bytes, length), "truncated to " + length);
        }
    }

    @Test
    void everyFlippedByteIsRefused() throws Exception {
        for (int i = 0; i < bytes.length; i++) {
            byte[] damaged = bytes.clone();
            damaged[i] ^= 0x40;
            assertRefused(damaged, "byte " + i + " flipped");
        }
    }

    @Test
    void extraBytesAtTheEndAreRefused() throws Exception {
        assertThat(refusal(Arrays.copyOf(bytes, bytes.length + 1))).contains("extra bytes");
    }

    @Test
    void anotherMagicIsRefusedEvenWithAMatchingChecksum() throws Exception {
        byte[] other = bytes.clone();
        other[0] = 'X';
        assertThat(refusal(resealed(other))).contains("not a raftkv backup");
    }

    @Test
    void anotherFormatVersionIsRefusedEvenWithAMatchingChecksum() throws Exception {
        byte[] other = bytes.clone();
        ByteBuffer.wrap(other).putInt(BackupFormat.MAGIC.length, 2);
        assertThat(refusal(resealed(other))).contains("format version is 2");
    }

    @Test
    void aHeaderLengthThatDoesNotMatchTheFileIsRefused() throws Exception {
        byte[] other = bytes.clone();
        int lengthAt = (int) BackupFormat.verify(good).dataOffset() - 8;
        ByteBuffer b = ByteBuffer.wrap(other);
        b.putLong(lengthAt, b.getLong(lengthAt) - 1);
        assertThat(refusal(resealed(other))).contains("extra bytes");
    }

    /** Damage that passes the file's checksum (a backup written wrong) is caught by the restore's own checks. */
    @Test
    void aStateThatDoesNotDecodeOrDoesNotMatchTheHeaderIsRefusedByTheRestore() throws Exception {
        BackupFormat.Verified v = BackupFormat.verify(good);
        byte[] garbled = bytes.clone();
        garbled[(int) v.dataOffset() + 20] ^= 1;
        assertThat(restoreRefusal(resealed(garbled), "garbled")).contains("does not decode");

        byte[] otherIndex = bytes.clone();
        int indexAt = BackupFormat.MAGIC.length + 4 + 4 + clusterId.length();
        ByteBuffer.wrap(otherIndex).putLong(indexAt, v.header().index() + 1);
        assertThat(restoreRefusal(resealed(otherIndex), "index")).contains("header says index " + (v.header().index() + 1));
    }

    private static String restoreRefusal(byte[] file, String name) throws Exception {
        Path f = dir.resolve(name + ".backup");
        Files.write(f, file);
        Path data = dir.resolve("restore-" + name);
        RaftKvNode.Settings s = BackupNodes.settings("n1", data, BackupNodes.alone("n1", 3), "");
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> Restore.prepare(s, f));
        assertThat(t).isInstanceOf(IOException.class);
        assertThat(Files.exists(data.resolve(Restore.MARKER))).as("nothing was restored").isFalse();
        return t.getMessage();
    }

    private static void assertRefused(byte[] file, String what) throws Exception {
        assertThat(refusal(file)).as(what).contains("cannot be restored");
    }

    private static String refusal(byte[] file) throws Exception {
        Path f = Files.createTempFile(dir, "damaged", ".backup");
        try {
            Files.write(f, file);
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> BackupFormat.verify(f));
            assertThat(t).isInstanceOf(IOException.class);
            return t.getMessage();
        } finally {
            Files.delete(f);
        }
    }

    /** The file with its trailing SHA-256 recomputed, so that only the check under test can catch the change. */
    private static byte[] resealed(byte[] file) throws Exception {
        int body = file.length - BackupFormat.DIGEST_BYTES;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(file, 0, body);
        byte[] out = file.clone();
        System.arraycopy(sha.digest(), 0, out, body, BackupFormat.DIGEST_BYTES);
        return out;
    }
}
