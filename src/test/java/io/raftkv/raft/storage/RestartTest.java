package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.HardState;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static io.raftkv.raft.storage.DurableSnapshotStoreTest.MEMBERS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node restarted with 100,000 entries and a snapshot comes back with the same state, key by key.
 * Runs on the real file system, so the production {@link FileDisk} is what is tested.
 */
class RestartTest {
    private static final int ENTRIES = 100_000;
    private static final int SNAPSHOT_AT = 60_000;
    private static final int TRAILING = 10_000;

    /** The simplest replicated state machine: "key=value" commands into a map. */
    static final class KvMachine {
        final TreeMap<String, String> map = new TreeMap<>();

        void apply(Entry e) {
            if (e.data().length == 0) {
                return;
            }
            String cmd = new String(e.data(), StandardCharsets.UTF_8);
            int eq = cmd.indexOf('=');
            map.put(cmd.substring(0, eq), cmd.substring(eq + 1));
        }

        byte[] snapshot() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(map.size());
            for (Map.Entry<String, String> kv : map.entrySet()) {
                out.writeUTF(kv.getKey());
                out.writeUTF(kv.getValue());
            }
            return bytes.toByteArray();
        }

        static KvMachine restore(byte[] snapshot) throws IOException {
            KvMachine m = new KvMachine();
            if (snapshot.length > 0) {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot));
                for (int n = in.readInt(); n > 0; n--) {
                    m.map.put(in.readUTF(), in.readUTF());
                }
            }
            return m;
        }
    }

    @Test
    void aNodeWithAHundredThousandEntriesAndASnapshotComesBackKeyByKey(@TempDir Path dir) throws IOException {
        StorageOptions options = StorageOptions.defaults().withSegmentBytes(1 << 20);
        RaftStorage storage = DurableStorage.open(FileDisk.INSTANCE, dir, options);
        storage.bootstrap(MEMBERS);
        KvMachine expected = new KvMachine();
        Random r = new Random(7);
        long term = 1;
        storage.stable().save(new HardState(term, "n1"));
        List<Entry> batch = new ArrayList<>();
        for (long i = 1; i <= ENTRIES; i++) {
            if (i == 70_001) {
                term = 2;
                storage.stable().save(new HardState(term, "n2"));
            }
            String cmd = "key" + r.nextInt(20_000) + "=value" + i + "-" + Long.toHexString(r.nextLong());
            Entry e = Entry.command(i, term, cmd.getBytes(StandardCharsets.UTF_8));
            batch.add(e);
            expected.apply(e);
            if (batch.size() == 1000) {
                storage.log().append(batch);
                batch.clear();
            }
            if (i == SNAPSHOT_AT) {
                storage.compactTo(new Snapshot(new SnapshotMetadata(i, term, MEMBERS), expected.snapshot()), TRAILING);
                assertThat(storage.log().firstIndex()).isEqualTo(SNAPSHOT_AT - TRAILING + 1);
            }
        }
        storage.log().append(batch);
        assertThat(((DurableLogStore) storage.log()).segmentPaths().size()).isGreaterThan(2);
        DurableStorage.close(storage);

        RaftStorage reopened = DurableStorage.open(FileDisk.INSTANCE, dir, options);
        Snapshot snap = reopened.snapshots().latest();
        assertThat(snap.index()).isEqualTo(SNAPSHOT_AT);
        assertThat(snap.metadata().membership()).isEqualTo(MEMBERS);
        assertThat(reopened.stable().load()).isEqualTo(new HardState(2, "n2"));
        assertThat(reopened.log().lastIndex()).isEqualTo(ENTRIES);
        assertThat(reopened.log().firstIndex() - 1).isLessThanOrEqualTo(SNAPSHOT_AT);
        assertThat(reopened.log().term(ENTRIES)).isEqualTo(2);

        KvMachine recovered = KvMachine.restore(snap.data());
        for (long i = snap.index() + 1; i <= reopened.log().lastIndex(); ) {
            List<Entry> chunk = reopened.log().entries(i, reopened.log().lastIndex() + 1, 1 << 20);
            chunk.forEach(recovered::apply);
            i += chunk.size();
        }
        assertThat(recovered.map.size()).isEqualTo(expected.map.size()).isGreaterThan(10_000);
        for (Map.Entry<String, String> kv : expected.map.entrySet()) {
            assertThat(recovered.map.get(kv.getKey())).as(kv.getKey()).isEqualTo(kv.getValue());
        }
        DurableStorage.close(reopened);
    }
}
