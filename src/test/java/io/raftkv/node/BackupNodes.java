package io.raftkv.node;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.Page;
import io.raftkv.kv.Precondition;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Single real nodes on a data directory (durable storage, no sockets), for tests of what they keep there. */
final class BackupNodes {
    private BackupNodes() {
    }

    static Membership alone(String id, int port) {
        return new Membership(List.of(new Peer(id, "http://127.0.0.1:" + port)));
    }

    static RaftKvNode.Settings settings(String id, Path dir, Membership members, String token) {
        return new RaftKvNode.Settings(id, "http://127.0.0.1:1", dir, members, RaftConfig.defaults(id), "",
                30_000, 1_000, Duration.ofSeconds(1), IdempotencyPolicy.defaults(), token, null);
    }

    /** A started node that leads (its membership must be itself alone). */
    static RaftKvNode started(RaftKvNode.Settings s) throws Exception {
        RaftKvNode node = RaftKvNode.open(s, NodeMetrics.noop());
        node.start();
        new RaftTicker(node, Duration.ofMillis(10)).start();
        node.board().awaitLeader(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        node.readBarrier().get(10, TimeUnit.SECONDS);
        return node;
    }

    static long put(RaftKvNode node, String key, String value) throws Exception {
        KvCommand cmd = new KvCommand.Put(key, value.getBytes(), "text/plain", Precondition.NONE, null, 0);
        return ((io.raftkv.kv.WriteResult.Written) node.write(cmd).get(10, TimeUnit.SECONDS)).revision();
    }

    /** Takes a backup of {@code node} as {@code GET /snapshot} does and writes it to {@code file}. */
    static Backup backupTo(RaftKvNode node, Path dataDir, Path file) throws Exception {
        node.readBarrier().get(10, TimeUnit.SECONDS);
        try (Backup b = Backup.take(node, dataDir, Duration.ofSeconds(30)); OutputStream out = Files.newOutputStream(file)) {
            b.writeTo(out);
            return b;
        }
    }

    static Map<String, KeyValue> everything(RaftKvNode node) {
        Map<String, KeyValue> all = new LinkedHashMap<>();
        String after = null;
        do {
            Page p = node.stateMachine().list("", after, 1000);
            p.items().forEach(kv -> all.put(kv.key(), kv));
            after = p.nextStartAfter();
        } while (after != null);
        return all;
    }
}
