package io.raftkv.watch;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvEvent;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Precondition;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The history window, a watcher that falls out of it, and a snapshot that replaces the state under it. */
class WatchHistoryTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private static KvCommand put(String key, String value) {
        return new KvCommand.Put(key, value.getBytes(StandardCharsets.UTF_8), "text/plain", Precondition.NONE, null, 0);
    }

    private WatchHub hub(KvStateMachine sm, int maxEvents, long maxBytes, Duration maxAge) {
        return new WatchHub(sm, new WatchHub.Bounds(maxEvents, maxBytes, maxAge, 4), clock::get);
    }

    @Test
    void theWindowDropsTheOldestEntriesPastEachBoundAndRaisesTheFloor() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        WatchHub byCount = hub(sm, 3, Long.MAX_VALUE, Duration.ofDays(1));
        for (int i = 1; i <= 5; i++) {
            sm.apply(i, put("k" + i, "v"));
        }
        assertThat(byCount.oldestRevision()).isEqualTo(2);
        assertThat(byCount.history().after(2, 10, clock.get())).extracting(EventHistory.Batch::revision).containsExactly(3L, 4L, 5L);
        assertThatThrownBy(() -> byCount.history().after(1, 10, clock.get()))
                .isInstanceOfSatisfying(HistoryGoneException.class, g -> assertThat(g.floor()).isEqualTo(2));

        EventHistory byBytes = new EventHistory(1000, 2 * 200, Long.MAX_VALUE, 0);
        KeyValue kv = new KeyValue("k", new byte[30], null, 1, 1, 1);
        for (int i = 1; i <= 4; i++) {
            byBytes.append(i, List.of(new KvEvent(KvEvent.Type.PUT, i, kv, 0)), 0);
        }
        assertThat(byBytes.floor()).isEqualTo(2);
        assertThat(byBytes.byteCount()).isLessThanOrEqualTo(400);

        EventHistory byAge = new EventHistory(1000, Long.MAX_VALUE, 100, 0);
        byAge.append(1, List.of(new KvEvent(KvEvent.Type.PUT, 1, kv, 0)), 0);
        byAge.append(2, List.of(new KvEvent(KvEvent.Type.PUT, 2, kv, 0)), 50);
        assertThat(byAge.after(1, 10, 120)).extracting(EventHistory.Batch::revision).containsExactly(2L);
        assertThat(byAge.floor()).isEqualTo(1);
    }

    /** Records what a watcher was sent; with {@link #stuck}, blocks in its first write until released, like a client that stopped reading. */
    private static final class Client implements WatchStream.Sink {
        final BlockingQueue<String> sent = new LinkedBlockingQueue<>();
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release;
        final CountDownLatch ended = new CountDownLatch(1);

        Client(boolean stuck) {
            release = new CountDownLatch(stuck ? 1 : 0);
        }

        @Override
        public void events(long revision, List<KvEvent> events) throws IOException {
            writing.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            sent.add("events " + revision);
        }

        @Override
        public void bookmark(long revision) {
            sent.add("bookmark " + revision);
        }

        @Override
        public void gone(long resumeRevision, long oldestRevision) {
            sent.add("gone " + resumeRevision + " " + oldestRevision);
        }

        @Override
        public void forbidden(long revision, String why) {
            sent.add("forbidden " + revision + " " + why);
        }

        @Override
        public void end() {
            ended.countDown();
        }
    }

    @Test
    void aSlowWatcherNeverHoldsUpTheApplyThreadAndIsCutOffWithItsResumeRevision() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        WatchHub hub = hub(sm, 5, Long.MAX_VALUE, Duration.ofDays(1));
        Client client = new Client(true);
        assertThat(hub.start(new WatchStream(hub, k -> true, () -> null, 0, Duration.ofDays(1), client))).isTrue();
        sm.apply(1, put("a", "1"));
        assertThat(client.writing.await(10, TimeUnit.SECONDS)).isTrue();
        // The client is stuck in its first write: the apply thread goes on regardless.
        for (int i = 2; i <= 20; i++) {
            sm.apply(i, put("a", Integer.toString(i)));
        }
        assertThat(sm.appliedIndex()).isEqualTo(20);
        client.release.countDown();
        assertThat(client.ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(new ArrayList<>(client.sent)).containsExactly("events 1", "gone 1 15");
        hub.close();
    }

    @Test
    void aChangeOfTheRolesWakesEveryWatcherToRecheckAndOneThatLostItsPermissionEndsBeforeTheNextEvent() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        WatchHub hub = hub(sm, 100, Long.MAX_VALUE, Duration.ofDays(1));
        // Allowed while no role named "lockdown" exists: the stand-in for the web layer's token check.
        java.util.concurrent.atomic.AtomicInteger checks = new java.util.concurrent.atomic.AtomicInteger();
        WatchStream.Permission permission = () -> {
            checks.incrementAndGet();
            return sm.auth().role("lockdown").isPresent() ? "locked down" : null;
        };
        Client client = new Client(false);
        hub.start(new WatchStream(hub, k -> true, permission, 0, Duration.ofDays(1), client));
        sm.apply(1, put("a", "1"));
        assertThat(client.sent.poll(10, TimeUnit.SECONDS)).isEqualTo("events 1");
        int checked = checks.get();
        sm.apply(2, put("a", "2"));
        assertThat(client.sent.poll(10, TimeUnit.SECONDS)).isEqualTo("events 2");
        assertThat(checks.get()).as("no auth change: no re-check").isEqualTo(checked);
        sm.apply(3, new io.raftkv.kv.AuthCommand.PutRole(new io.raftkv.kv.Role("other", List.of())));
        sm.apply(4, new io.raftkv.kv.AuthCommand.PutRole(new io.raftkv.kv.Role("lockdown", List.of())));
        sm.apply(5, put("a", "5"));
        assertThat(client.ended.await(10, TimeUnit.SECONDS)).as("woken by the role change, not only by a key change").isTrue();
        assertThat(new ArrayList<>(client.sent)).containsExactly("forbidden 2 locked down");
        hub.close();
    }

    @Test
    void aSnapshotInstalledUnderAWatcherEndsItWithGoneBecauseTheSkippedChangesAreUnknown() throws Exception {
        KvStateMachine leader = new KvStateMachine();
        for (int i = 1; i <= 10; i++) {
            leader.apply(i, put("k" + i, "v"));
        }
        ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
        leader.writeSnapshot(snapshot);

        KvStateMachine follower = new KvStateMachine();
        WatchHub hub = hub(follower, 100, Long.MAX_VALUE, Duration.ofDays(1));
        follower.apply(1, put("k1", "v"));
        Client client = new Client(false);
        hub.start(new WatchStream(hub, k -> true, () -> null, 0, Duration.ofDays(1), client));
        assertThat(client.sent.poll(10, TimeUnit.SECONDS)).isEqualTo("events 1");
        follower.restore(new ByteArrayInputStream(snapshot.toByteArray()));
        assertThat(client.ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(client.sent.poll()).isEqualTo("gone 1 10");
        assertThat(hub.oldestRevision()).isEqualTo(10);
        follower.apply(11, put("k11", "v"));
        assertThat(hub.history().after(10, 10, clock.get())).extracting(EventHistory.Batch::revision).containsExactly(11L);
        hub.close();
    }

    @Test
    void theInitialStateIsExactlyTheStateAtItsRevisionWhileWritesGoOn() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        WatchHub hub = hub(sm, 100_000, Long.MAX_VALUE, Duration.ofDays(1));
        for (int i = 0; i < 200; i++) {
            sm.apply(i + 1, put("p/" + i, "0"));
        }
        long[] index = {200};
        Thread writer = new Thread(() -> {
            for (int round = 1; round <= 20; round++) {
                for (int i = 0; i < 200; i++) {
                    index[0]++;
                    sm.apply(index[0], (i + round) % 3 == 0
                            ? new KvCommand.Delete("p/" + i, Precondition.NONE, null, 0) : put("p/" + i, Integer.toString(round)));
                }
            }
        });
        // A replica that applies the same commands one by one: its state at any index is known exactly.
        writer.start();
        List<InitialState.At> reads = new ArrayList<>();
        while (writer.isAlive()) {
            reads.add(InitialState.read(hub, "p/", k -> true, 1000));
        }
        writer.join();
        assertThat(reads).isNotEmpty();
        for (InitialState.At at : reads) {
            assertThat(at.keys()).as("state at %d", at.revision()).isEqualTo(replay(at.revision()));
        }
    }

    /** The keys of the test above at {@code revision}, from a fresh replay of the same commands. */
    private static List<KeyValue> replay(long revision) {
        KvStateMachine sm = new KvStateMachine();
        long index = 0;
        for (int i = 0; i < 200 && index < revision; i++) {
            sm.apply(++index, put("p/" + i, "0"));
        }
        for (int round = 1; round <= 20 && index < revision; round++) {
            for (int i = 0; i < 200 && index < revision; i++) {
                index++;
                if ((i + round) % 3 == 0) {
                    sm.apply(index, new KvCommand.Delete("p/" + i, Precondition.NONE, null, 0));
                } else {
                    sm.apply(index, put("p/" + i, Integer.toString(round)));
                }
            }
        }
        return sm.list("p/", null, 1000).items();
    }
}
