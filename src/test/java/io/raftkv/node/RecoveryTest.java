package io.raftkv.node;

import io.raftkv.kv.KeyValue;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code raftkv.restore-from} and {@code raftkv.force-new-cluster} on real data directories, one node at a time. */
class RecoveryTest {
    private static final Membership THREE = new Membership(List.of(new Peer("a", "http://127.0.0.1:11"),
            new Peer("b", "http://127.0.0.1:12"), new Peer("c", "http://127.0.0.1:13")));

    @Test
    void aRestoredNodeServesTheBackupsStateInANewClusterAndContinuesItsRevisions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("x.backup");
        Map<String, KeyValue> before;
        String oldId;
        Backup backup;
        RaftKvNode old = BackupNodes.started(BackupNodes.settings("n1", dir.resolve("old"), BackupNodes.alone("n1", 2), ""));
        try {
            for (int i = 0; i < 30; i++) {
                BackupNodes.put(old, "k" + (i % 7), "v" + i);
            }
            backup = BackupNodes.backupTo(old, dir.resolve("old"), file);
            before = BackupNodes.everything(old);
            oldId = old.clusterId();
            BackupNodes.put(old, "after", "not in the backup");
        } finally {
            old.close();
        }

        RaftKvNode.Settings s = BackupNodes.settings("m1", dir.resolve("new"), BackupNodes.alone("m1", 5), "");
        Restore.prepare(s, file);
        RaftKvNode restored = BackupNodes.started(s);
        try {
            assertThat(BackupNodes.everything(restored)).isEqualTo(before);
            assertThat(restored.clusterId()).isNotEqualTo(oldId);
            assertThat(restored.status().membership()).isEqualTo(BackupNodes.alone("m1", 5));
            assertThat(BackupNodes.put(restored, "next", "v")).as("revisions continue after the backup's index")
                    .isGreaterThan(backup.index());
        } finally {
            restored.close();
        }
        // A restart with the setting still on starts on the restored data, even once the file is gone.
        Restore.prepare(s, file);
        Files.move(file, dir.resolve("moved.backup"));
        Restore.prepare(s, file);
        RaftKvNode again = BackupNodes.started(s);
        try {
            assertThat(BackupNodes.everything(again)).containsKey("next");
        } finally {
            again.close();
        }
    }

    @Test
    void everyMemberRestoredFromTheSameFileAgreesOnTheClusterIdAndTheFirstSnapshot(@TempDir Path dir) throws Exception {
        Path file = backupOfOneKey(dir);
        String[] ids = new String[3];
        for (int i = 0; i < 3; i++) {
            String id = THREE.voters().get(i).id();
            Path data = dir.resolve(id);
            Restore.prepare(BackupNodes.settings(id, data, THREE, "tok"), file);
            ids[i] = Files.readString(data.resolve(ClusterId.FILE)).trim();
        }
        assertThat(ids[1]).isEqualTo(ids[0]);
        assertThat(ids[2]).isEqualTo(ids[0]);
        byte[][] snapshots = new byte[3][];
        for (int i = 0; i < 3; i++) {
            try (var files = Files.list(dir.resolve(THREE.voters().get(i).id()))) {
                Path snap = files.filter(f -> f.toString().endsWith(".snap")).findFirst().orElseThrow();
                snapshots[i] = Files.readAllBytes(snap);
            }
        }
        assertThat(snapshots[1]).isEqualTo(snapshots[0]);
        assertThat(snapshots[2]).isEqualTo(snapshots[0]);
        Path otherToken = dir.resolve("other");
        Restore.prepare(BackupNodes.settings("a", otherToken, THREE, "another token"), file);
        assertThat(Files.readString(otherToken.resolve(ClusterId.FILE)).trim()).isNotEqualTo(ids[0]);
    }

    @Test
    void aDataDirectoryWithOtherDataIsNeverOverwritten(@TempDir Path dir) throws Exception {
        Path file = backupOfOneKey(dir);
        RaftKvNode.Settings s = BackupNodes.settings("n1", dir.resolve("n1"), BackupNodes.alone("n1", 2), "");
        assertThatThrownBy(() -> Restore.prepare(s, file)).isInstanceOf(IOException.class)
                .hasMessageContaining("already holds this node's data, which a restore never overwrites");

        RaftKvNode.Settings fresh = BackupNodes.settings("n1", dir.resolve("fresh"), BackupNodes.alone("n1", 2), "");
        Restore.prepare(fresh, file);
        Path another = dir.resolve("another.backup");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(another, bytes);
        assertThatThrownBy(() -> Restore.prepare(fresh, another)).isInstanceOf(IOException.class)
                .hasMessageContaining("was restored from another backup");
    }

    @Test
    void forceNewClusterMakesThisMemberTheOnlyVoterKeepsItsDataAndHappensOnce(@TempDir Path dir) throws Exception {
        Path file = backupOfOneKey(dir);
        RaftKvNode.Settings member = BackupNodes.settings("a", dir.resolve("a"), THREE, "");
        Restore.prepare(member, file);
        assertThat(IdentityCheck.pending(dir.resolve("a"))).as("a restored member first asks the others").isTrue();
        IdentityCheck.clear(dir.resolve("a")); // as the node does once every other member said it never heard from it
        String oldId = Files.readString(dir.resolve("a").resolve(ClusterId.FILE)).trim();

        ForceNewCluster.prepare(member);
        RaftKvNode alone = BackupNodes.started(member); // elects itself: it waits for no one
        String forcedId;
        try {
            assertThat(alone.status().membership()).isEqualTo(new Membership(List.of(THREE.voters().get(0))));
            assertThat(new String(alone.stateMachine().get("only").orElseThrow().value())).isEqualTo("value");
            forcedId = alone.clusterId();
            assertThat(forcedId).isNotEqualTo(oldId);
            BackupNodes.put(alone, "written alone", "x");
        } finally {
            alone.close();
        }
        ForceNewCluster.prepare(member); // still set on a restart: nothing happens
        RaftKvNode again = BackupNodes.started(member);
        try {
            assertThat(again.clusterId()).isEqualTo(forcedId);
            assertThat(again.stateMachine().get("written alone")).isPresent();
        } finally {
            again.close();
        }
    }

    @Test
    void forceNewClusterRefusesAnEmptyDataDirectoryOrOneThatNeverTookPart(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ForceNewCluster.prepare(BackupNodes.settings("a", dir.resolve("a"), THREE, "")))
                .isInstanceOf(IOException.class).hasMessageContaining("holds no data");
        RaftKvNode.Settings unconfirmed = BackupNodes.settings("b", dir.resolve("b"), THREE, "");
        Restore.prepare(unconfirmed, backupOfOneKey(dir));
        assertThatThrownBy(() -> ForceNewCluster.prepare(unconfirmed))
                .isInstanceOf(IOException.class).hasMessageContaining("never took part");
    }

    /** A backup holding the key "only", taken from a node that keeps running in {@code dir/n1}. */
    private static Path backupOfOneKey(Path dir) throws Exception {
        Path file = dir.resolve("one.backup");
        RaftKvNode n = BackupNodes.started(BackupNodes.settings("n1", dir.resolve("n1"), BackupNodes.alone("n1", 2), ""));
        try {
            BackupNodes.put(n, "only", "value");
            BackupNodes.backupTo(n, dir.resolve("n1"), file);
        } finally {
            n.close();
        }
        return file;
    }
}
