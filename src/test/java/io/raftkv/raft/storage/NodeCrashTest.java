package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.HardState;
import io.raftkv.raft.Membership;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.raftkv.raft.storage.StorageFixtures.DIR;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real core on the durable stores over a disk that loses power: a single-node cluster takes
 * writes, snapshots and compacts, and is cut off at random disk operations. After each restart
 * every write it had applied (acknowledged) is still there, in the snapshot or in the log, and its
 * term never goes back.
 */
class NodeCrashTest {
    private static final Membership ONE = new Membership(List.of(new Peer("n1", "")));

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void acknowledgedWritesSurviveEveryPowerCut(long seed) throws IOException {
        Random r = new Random(seed);
        FaultyDisk disk = new FaultyDisk();
        RaftStorage storage = DurableStorage.open(disk, DIR, StorageFixtures.small());
        storage.bootstrap(ONE);
        Map<String, String> acked = new HashMap<>();
        long durableTerm = 0;
        int crashes = 0;
        int counter = 0;
        for (int life = 0; life < 25; life++) {
            RestartTest.KvMachine machine = RestartTest.KvMachine.restore(storage.snapshots().latest().data());
            RaftNode node = new RaftNode(RaftConfig.defaults("n1"), storage, new Random(r.nextLong()));
            assertThat(node.term()).as("term never goes back").isGreaterThanOrEqualTo(durableTerm);
            replay(storage, machine);
            for (Map.Entry<String, String> kv : acked.entrySet()) {
                assertThat(machine.map.get(kv.getKey())).as("acknowledged %s after %d crashes", kv.getKey(), crashes)
                        .isEqualTo(kv.getValue());
            }

            disk.haltAfter(20 + r.nextInt(400));
            try {
                for (int tick = 0; tick < 300; tick++) {
                    node.tick();
                    if (node.role() == Role.LEADER) {
                        try {
                            counter++;
                            node.propose(("k" + counter + "=v" + counter + "-" + life).getBytes(StandardCharsets.UTF_8));
                        } catch (NotLeaderException ignored) {
                            // transferring; try next tick
                        }
                    }
                    while (node.prepareReady()) {
                        Ready rd = node.ready();
                        storage.persist(rd);
                        if (rd.hardState() != null) {
                            durableTerm = rd.hardState().term();
                        }
                        for (Entry e : rd.committedEntries()) {
                            machine.apply(e);
                            if (e.data().length > 0) {
                                String[] kv = new String(e.data(), StandardCharsets.UTF_8).split("=", 2);
                                acked.put(kv[0], kv[1]);
                            }
                        }
                        node.advance(rd);
                    }
                    if (node.appliedIndex() - storage.snapshots().latest().index() > 60 && r.nextInt(4) == 0) {
                        long at = node.appliedIndex();
                        storage.compactTo(new Snapshot(new SnapshotMetadata(at, storage.log().term(at), ONE), machine.snapshot()), 10);
                    }
                }
            } catch (StorageFailedException powerCut) {
                crashes++;
            }
            DurableStorage.close(storage);
            disk.crash(r);
            storage = DurableStorage.open(disk, DIR, StorageFixtures.small());
            HardState hs = storage.stable().load();
            assertThat(hs.term()).isGreaterThanOrEqualTo(durableTerm);
            durableTerm = hs.term();
        }
        assertThat(crashes).isGreaterThan(5);
        assertThat(acked).hasSizeGreaterThan(200);
    }

    private static void replay(RaftStorage storage, RestartTest.KvMachine machine) {
        long from = storage.snapshots().latest().index() + 1;
        long last = storage.log().lastIndex();
        while (from <= last) {
            List<Entry> batch = storage.log().entries(from, last + 1, 1 << 20);
            batch.forEach(machine::apply);
            from += batch.size();
        }
    }
}
