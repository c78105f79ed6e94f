package io.raftkv.watch;

import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvEvent;
import io.raftkv.kv.Precondition;
import io.raftkv.kv.WriteResult;
import io.raftkv.node.NodeMetrics;
import io.raftkv.node.RaftKvNode;
import io.raftkv.node.RaftTicker;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A node restarted on its data directory restores its latest snapshot and applies the log after it
 * again: its watch history then holds exactly the changes after the snapshot, and a watch from before
 * the snapshot is gone.
 */
class WatchRestartTest {
    private static final Membership ALONE = new Membership(List.of(new Peer("n1", "http://127.0.0.1:2")));

    private record Started(RaftKvNode node, WatchHub hub, RaftTicker ticker) implements AutoCloseable {
        @Override
        public void close() {
            ticker.stop();
            hub.close();
            node.close();
        }
    }

    /** A node on {@code dir} that snapshots every 50 entries, with a hub listening before it applies anything. */
    private static Started start(Path dir) throws Exception {
        RaftKvNode node = RaftKvNode.open(new RaftKvNode.Settings("n1", "http://127.0.0.1:1", dir, ALONE, RaftConfig.defaults("n1"),
                "", 50, 10, Duration.ofSeconds(1), IdempotencyPolicy.defaults(), "", null), NodeMetrics.noop());
        WatchHub hub = new WatchHub(node.stateMachine(), new WatchHub.Bounds(100_000, Long.MAX_VALUE, Duration.ofDays(1), 4), System::nanoTime);
        node.start();
        RaftTicker ticker = new RaftTicker(node, Duration.ofMillis(10));
        ticker.start();
        node.board().awaitLeader(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        return new Started(node, hub, ticker);
    }

    @Test
    void afterARestartTheHistoryHoldsExactlyTheChangesAfterTheSnapshot(@TempDir Path dir) throws Exception {
        List<Long> revisions = new ArrayList<>();
        try (Started first = start(dir)) {
            for (int i = 0; i < 120; i++) {
                WriteResult r = first.node().write(new KvCommand.Put("k" + (i % 7), new byte[]{(byte) i}, null, Precondition.NONE, null, 0))
                        .get(10, TimeUnit.SECONDS);
                revisions.add(((WriteResult.Written) r).revision());
            }
        }
        try (Started again = start(dir)) {
            long last = revisions.get(revisions.size() - 1);
            again.node().readBarrier().get(10, TimeUnit.SECONDS);
            long floor = again.hub().oldestRevision();
            assertThat(floor).as("the snapshot the node restarted from").isGreaterThan(0).isLessThan(last);
            List<Long> replayed = new ArrayList<>();
            for (EventHistory.Batch b : again.hub().history().after(floor, Integer.MAX_VALUE, System.nanoTime())) {
                for (KvEvent e : b.events()) {
                    replayed.add(e.revision());
                }
            }
            assertThat(replayed).isEqualTo(revisions.stream().filter(r -> r > floor).toList());
            assertThatThrownBy(() -> again.hub().history().after(floor - 1, 10, System.nanoTime()))
                    .isInstanceOf(HistoryGoneException.class);
        }
    }
}
