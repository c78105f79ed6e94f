package io.raftkv.raft.storage;

import io.raftkv.node.NodeDriver;
import io.raftkv.node.StateMachine;
import io.raftkv.raft.Entry;
import io.raftkv.raft.HardState;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.sim.LocalNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
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
            Machine machine = new Machine();
            RaftNode node = new RaftNode(RaftConfig.defaults("n1"), storage, new Random(r.nextLong()));
            assertThat(node.term()).as("term never goes back").isGreaterThanOrEqualTo(durableTerm);
            replay(storage, machine.kv);
            for (Map.Entry<String, String> kv : acked.entrySet()) {
                assertThat(machine.kv.map.get(kv.getKey())).as("acknowledged %s after %d crashes", kv.getKey(), crashes)
                        .isEqualTo(kv.getValue());
            }

            long[] persistedTerm = {durableTerm};
            NodeDriver.Observer terms = new NodeDriver.Observer() {
                @Override
                public void afterPersist(Ready rd) {
                    if (rd.hardState() != null) {
                        persistedTerm[0] = rd.hardState().term();
                    }
                }
            };
            NodeDriver<Boolean> driver = LocalNode.driverFor(node, storage, m -> { }, new Machine(), 60 + r.nextInt(40), 10, terms);
            disk.haltAfter(20 + r.nextInt(400));
            for (int tick = 0; tick < 300 && driver.failure() == null; tick++) {
                driver.tick();
                if (node.role() == Role.LEADER) {
                    counter++;
                    String key = "k" + counter;
                    String value = "v" + counter + "-" + life;
                    // Acknowledged means what the driver answered: applied, with its result.
                    driver.propose((key + "=" + value).getBytes(StandardCharsets.UTF_8))
                            .thenAccept(applied -> acked.put(key, value));
                }
                driver.process();
            }
            if (driver.failure() != null) {
                assertThat(driver.failureCause()).as("only the disk fails here").hasRootCauseInstanceOf(IOException.class);
                crashes++;
            }
            durableTerm = persistedTerm[0];
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

    /** The test's key=value machine as the driver's state machine; its snapshots lead with their index. */
    private static final class Machine implements StateMachine<Boolean> {
        RestartTest.KvMachine kv = new RestartTest.KvMachine();
        long applied;

        @Override
        public Boolean apply(long index, byte[] command) {
            applied = index;
            kv.apply(Entry.command(index, 0, command));
            return true;
        }

        @Override
        public void skip(long index) {
            applied = index;
        }

        @Override
        public long appliedIndex() {
            return applied;
        }

        @Override
        public void restore(InputStream in) throws IOException {
            byte[] all = in.readAllBytes();
            applied = ByteBuffer.wrap(all).getLong();
            kv = RestartTest.KvMachine.restore(Arrays.copyOfRange(all, 8, all.length));
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            out.write(ByteBuffer.allocate(8).putLong(applied).array());
            out.write(kv.snapshot());
        }

        /** The key-value part of a snapshot this machine wrote (the bootstrap snapshot is empty). */
        static RestartTest.KvMachine of(Snapshot s) throws IOException {
            byte[] d = s.data();
            return RestartTest.KvMachine.restore(d.length == 0 ? d : Arrays.copyOfRange(d, 8, d.length));
        }
    }

    /** Loads {@code machine} from the newest snapshot, then every entry in the log after it. */
    private static void replay(RaftStorage storage, RestartTest.KvMachine machine) throws IOException {
        machine.map.putAll(Machine.of(storage.snapshots().latest()).map);
        long from = storage.snapshots().latest().index() + 1;
        long last = storage.log().lastIndex();
        while (from <= last) {
            List<Entry> batch = storage.log().entries(from, last + 1, 1 << 20);
            batch.forEach(machine::apply);
            from += batch.size();
        }
    }
}
