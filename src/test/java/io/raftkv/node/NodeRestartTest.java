package io.raftkv.node;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.Precondition;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.storage.DurableStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A node restarted on its data directory comes back with exactly the state it had. */
class NodeRestartTest {
    private static final int WRITES = 100_000;
    private static final int KEYS = 5_000;

    private static final Membership ALONE = new Membership(List.of(new Peer("n1", "http://127.0.0.1:2")));

    private static RaftKvNode.Settings settings(Path dir, Membership bootstrap) {
        return new RaftKvNode.Settings("n1", "http://127.0.0.1:1", dir, bootstrap, RaftConfig.defaults("n1"), "",
                30_000, 1_000, Duration.ofSeconds(1), IdempotencyPolicy.defaults(), "", null);
    }

    private static RaftKvNode started(Path dir) throws Exception {
        return started(dir, ALONE);
    }

    private static RaftKvNode started(Path dir, Membership bootstrap) throws Exception {
        RaftKvNode node = RaftKvNode.open(settings(dir, bootstrap), NodeMetrics.noop());
        node.start();
        RaftTicker timer = new RaftTicker(node, Duration.ofMillis(10));
        timer.start();
        node.board().awaitLeader(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        return node;
    }

    @Test
    void aChangedBootstrapListIsIgnoredForAnExistingDataDirectory(@TempDir Path dir) throws Exception {
        RaftKvNode first = started(dir);
        first.write(new KvCommand.Put("k", "v".getBytes(), null, Precondition.NONE, null, 0)).get(10, TimeUnit.SECONDS);
        first.close();
        // Restarted with a three-node list (say, the StatefulSet was scaled): the stored membership wins,
        // so the node still forms its one-node cluster instead of waiting for peers that never were members.
        Membership three = new Membership(List.of(new Peer("n1", "http://127.0.0.1:2"),
                new Peer("n2", "http://127.0.0.1:3"), new Peer("n3", "http://127.0.0.1:4")));
        RaftKvNode again = started(dir, three);
        try {
            assertThat(again.status().membership()).isEqualTo(ALONE);
            again.readBarrier().get(10, TimeUnit.SECONDS);
            assertThat(new String(again.stateMachine().get("k").orElseThrow().value())).isEqualTo("v");
        } finally {
            again.close();
        }
    }

    @Test
    void aNodeRestartedWithAHundredThousandEntriesAndSnapshotsComesBackWithTheSameState(@TempDir Path dir) throws Exception {
        Map<String, KeyValue> before;
        long appliedBefore;
        RaftKvNode node = started(dir);
        try {
            Semaphore inFlight = new Semaphore(256);
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < WRITES; i++) {
                String key = "key/" + (i % KEYS);
                KvCommand cmd = i % 97 == 0
                        ? new KvCommand.Delete(key, Precondition.NONE, null, i)
                        : new KvCommand.Put(key, ("value-" + i).getBytes(), "text/plain", Precondition.NONE, null, i);
                inFlight.acquire();
                all.add(node.write(cmd).whenComplete((r, e) -> inFlight.release()));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            node.readBarrier().get(10, TimeUnit.SECONDS);
            before = BackupNodes.everything(node);
            appliedBefore = node.stateMachine().appliedIndex();
            assertThat(node.status().firstIndex()).as("the log was compacted behind a snapshot").isGreaterThan(80_000);
            assertThat(before).hasSizeGreaterThan(KEYS / 2);
        } finally {
            node.close();
        }

        RaftKvNode restarted = started(dir);
        try {
            restarted.readBarrier().get(30, TimeUnit.SECONDS);
            assertThat(restarted.stateMachine().appliedIndex()).isGreaterThanOrEqualTo(appliedBefore);
            try (var files = java.nio.file.Files.walk(dir)) {
                assertThat(files.map(f -> f.getFileName().toString())).as("the restart began from a snapshot file")
                        .anyMatch(n -> n.startsWith("snapshot") || n.endsWith(".snap"));
            }
            Map<String, KeyValue> after = BackupNodes.everything(restarted);
            assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
            for (Map.Entry<String, KeyValue> e : before.entrySet()) {
                KeyValue now = after.get(e.getKey());
                assertThat(now).as(e.getKey()).isEqualTo(e.getValue());
            }
        } finally {
            restarted.close();
        }
    }
}
