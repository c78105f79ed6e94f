package io.raftkv.node;

import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.Entry;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the sender says when it opens a stream, what it believes of the answer, and how it gets over a lost stream. */
class PeerTransportTest {
    private static final String CLUSTER = "0123456789abcdef";
    private FakeStreamPeer peer;
    private PeerTransport transport;
    private final BlockingQueue<String> unreachable = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> gone = new LinkedBlockingQueue<>();

    @AfterEach
    void close() throws Exception {
        if (transport != null) {
            transport.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    private PeerDirectory directory(int n2Port) {
        return new PeerDirectory("n1", "http://n1.client:8080", new Membership(List.of(new Peer("n1", "http://127.0.0.1:1"),
                new Peer("n2", "http://127.0.0.1:" + n2Port), new Peer("n3", "http://127.0.0.1:3"))));
    }

    private PeerTransport transport(PeerDirectory directory) {
        return new PeerTransport(directory, CLUSTER, "s3cret", new PeerClient(null), (i, t) -> null,
                unreachable::add, gone::add, (p, ok) -> { }, NodeMetrics.noop());
    }

    /**
     * Sends {@code m} again every 200 ms, as Raft resends, until a batch holding it arrives: a stream's
     * first upgrade may take longer than the sender waits on a loaded machine, and its batch is then
     * dropped like any message on a lost stream. Returns the batch.
     */
    private List<Message> sendUntilItArrives(Message m) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            transport.send(m);
            List<Message> batch = peer.batches.poll(200, TimeUnit.MILLISECONDS);
            if (batch != null && batch.contains(m)) {
                Thread.sleep(200);
                peer.batches.clear(); // copies sent meanwhile
                return batch;
            }
        }
        throw new AssertionError(m + " never arrived");
    }

    private static AppendEntries append(long index) {
        return new AppendEntries("n1", "n2", 1, index - 1, index == 1 ? 0 : 1, List.of(Entry.noop(index, 1)), 0);
    }

    @Test
    void everyStreamOpensWithTheClusterTheSenderAndTheSecret() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        assertThat(sendUntilItArrives(new Heartbeat("n1", "n2", 1, 0, 0))).containsExactly(new Heartbeat("n1", "n2", 1, 0, 0));
        Map<String, String> h = peer.upgrades.poll(10, TimeUnit.SECONDS);
        assertThat(h).isNotNull();
        assertThat(h.get("x-raftkv-cluster")).isEqualTo(CLUSTER);
        assertThat(h.get("x-raftkv-node")).isEqualTo("n1");
        assertThat(h.get("authorization")).isEqualTo("Bearer s3cret");
        assertThat(h.get("upgrade")).isEqualToIgnoringCase("websocket");
    }

    /**
     * Appends are handed to the stream without waiting for the peer, straight from the sending thread
     * while the stream is idle and through the queue while it is busy: many sent at once arrive in
     * order, over the one replication stream.
     */
    @Test
    void appendsArriveInOrderOverOneStream() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        sendUntilItArrives(append(1)); // the replication stream is open
        int upgrades = peer.upgrades.size();
        int count = 2000;
        for (int i = 2; i <= count + 1; i++) {
            transport.send(append(i));
        }
        List<Long> indexes = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (indexes.size() < count && System.nanoTime() < deadline) {
            List<Message> batch = peer.batches.poll(1, TimeUnit.SECONDS);
            if (batch != null) {
                batch.forEach(m -> indexes.add(((AppendEntries) m).entries().get(0).index()));
            }
        }
        assertThat(indexes).hasSize(count).isSorted();
        assertThat(peer.upgrades).as("the open stream carried them").hasSize(upgrades);
    }

    /**
     * Appends sent while the stream is still opening wait in the queue and go as batches; those sent
     * once it is open go straight to it, except one too large for a single frame, which its worker
     * sends. None overtakes another across these switches. (The first batch
     * may be dropped should the first upgrade outlast the sender's wait on a loaded machine, so this
     * checks the order and the last, not the count.)
     */
    @Test
    void appendsKeepTheirOrderFromTheQueueToTheOpenStream() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        int last = 3000;
        byte[] large = new byte[StreamFrames.CHUNK_BYTES + 1];
        for (int i = 1; i <= last; i++) {
            transport.send(i % 50 == 0 ? new AppendEntries("n1", "n2", 1, i - 1, 1,
                    List.of(new Entry(i, 1, io.raftkv.raft.EntryType.COMMAND, large)), 0) : append(i));
            if (i % 500 == 0) {
                Thread.sleep(20); // the worker gets its turn, and later appends meet it busy
            }
        }
        List<Long> indexes = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((indexes.isEmpty() || indexes.get(indexes.size() - 1) < last) && System.nanoTime() < deadline) {
            List<Message> batch = peer.batches.poll(1, TimeUnit.SECONDS);
            if (batch != null) {
                batch.forEach(m -> indexes.add(((AppendEntries) m).entries().get(0).index()));
            }
        }
        assertThat(indexes).isNotEmpty().doesNotHaveDuplicates().isSorted();
        assertThat(indexes.get(indexes.size() - 1)).isEqualTo(last);
    }

    /** A batch larger than one frame is cut into frames and put back together whole. */
    @Test
    void aBatchOfLargeEntriesArrivesWhole() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        byte[] big = new byte[3 * StreamFrames.CHUNK_BYTES + 17];
        new java.util.Random(7).nextBytes(big);
        AppendEntries m = new AppendEntries("n1", "n2", 1, 0, 0, List.of(new Entry(1, 1, io.raftkv.raft.EntryType.COMMAND, big)), 0);
        List<Message> batch = sendUntilItArrives(m);
        assertThat(batch).hasSize(1);
        assertThat(((AppendEntries) batch.get(0)).entries().get(0).data()).isEqualTo(big);
    }

    /** Whoever answers at n2's address may only speak for n2, and only from this cluster. */
    @Test
    void anAnswerCannotSetAnotherMembersClientUrl() throws Exception {
        peer = new FakeStreamPeer();
        peer.answerWith(Map.of(PeerDirectory.NODE_HEADER, "n3", PeerDirectory.CLIENT_URL_HEADER, "http://evil:1",
                PeerDirectory.CLUSTER_HEADER, CLUSTER));
        PeerDirectory directory = directory(peer.port());
        transport = transport(directory);
        sendUntilItArrives(new Heartbeat("n1", "n2", 1, 0, 0)); // the stream opened, so its answer was read
        assertThat(directory.clientUrl("n3")).isEmpty();
        assertThat(directory.clientUrl("n2")).isEmpty();
    }

    @Test
    void anAnswerFromTheCalledPeerOfThisClusterTeachesItsClientUrl() throws Exception {
        peer = new FakeStreamPeer();
        peer.answerWith(Map.of(PeerDirectory.NODE_HEADER, "n2", PeerDirectory.CLIENT_URL_HEADER, "https://n2.client:8443",
                PeerDirectory.CLUSTER_HEADER, CLUSTER));
        PeerDirectory directory = directory(peer.port());
        transport = transport(directory);
        sendUntilItArrives(new Heartbeat("n1", "n2", 1, 0, 0));
        assertThat(directory.clientUrl("n2")).contains("https://n2.client:8443");
    }

    /**
     * A stream the peer closes (it restarted, or refused a batch) may have lost what was handed to it:
     * the core hears that the peer may have missed appends (so the leader probes it), and the next
     * batch goes at once on a new stream.
     */
    @Test
    void aLostStreamIsReportedAndTheNextBatchOpensANewOne() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        sendUntilItArrives(append(1));
        unreachable.clear(); // a first upgrade that came too late
        peer.dropStreams();
        assertThat(unreachable.poll(10, TimeUnit.SECONDS)).as("the core hears appends may be lost").isEqualTo("n2");
        assertThat(sendUntilItArrives(append(2))).containsExactly(append(2));
        assertThat(peer.upgrades).as("two stream upgrades, counting the first stream's (" + peer.upgrades + ")").hasSizeGreaterThanOrEqualTo(2);
    }

    /**
     * A stream that died without a reset reaching either side (a NAT dropped its state, a cable was
     * pulled) takes every write and delivers nothing. Its pings go unanswered, so it is given up
     * within two ping intervals, the loss is reported, and what follows travels on a new stream.
     */
    @Test
    void aStreamThatSilentlyDiedIsGivenUpWithinTwoPingIntervals() throws Exception {
        peer = new FakeStreamPeer();
        try (BlackholeProxy proxy = new BlackholeProxy(peer.port())) {
            transport = transport(directory(proxy.port()));
            sendUntilItArrives(append(1));
            unreachable.clear(); // a first upgrade that came too late
            proxy.swallowOpenConnections();
            long cut = System.nanoTime();
            assertThat(unreachable.poll(10, TimeUnit.SECONDS)).as("the core hears appends may be lost").isEqualTo("n2");
            long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
            assertThat(noticedMillis).as("ms until the dead stream was noticed")
                    .isLessThanOrEqualTo(2 * PeerClient.STREAM_PING_INTERVAL.toMillis() + 1000);
            assertThat(sendUntilItArrives(append(2))).containsExactly(append(2));
            assertThat(proxy.connectionCount()).isGreaterThanOrEqualTo(2);
        }
    }

    /**
     * A killed process closes its connections without a close frame and leaves nothing listening: the
     * core hears at once that the peer is gone, so its followers need not wait out an election timeout.
     */
    @Test
    void aPeerThatClosedItsStreamsAndTakesNoNewConnectionIsGone() throws Exception {
        peer = new FakeStreamPeer();
        BlackholeProxy proxy = new BlackholeProxy(peer.port());
        transport = transport(directory(proxy.port()));
        sendUntilItArrives(append(1));
        long killed = System.nanoTime();
        proxy.close();
        assertThat(gone.poll(10, TimeUnit.SECONDS)).isEqualTo("n2");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed)).as("ms until the death was noticed")
                .isLessThan(1000);
    }

    /** A reset on a healthy network is not a death: the peer still takes new connections. */
    @Test
    void aPeerThatResetAStreamButTakesNewConnectionsIsNotGone() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        sendUntilItArrives(append(1));
        long before = transport.probesFinished();
        peer.dropStreams();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (transport.probesFinished() == before) {
            assertThat(System.nanoTime()).as("the peer was checked").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(gone).isEmpty();
    }

    /** A peer that refuses the stream (here: 401) is backed off from, and the core hears appends did not go. */
    @Test
    void aRefusedStreamIsReportedForAppends() throws Exception {
        peer = new FakeStreamPeer();
        peer.refuse(n -> n == 1 ? 401 : 0);
        transport = transport(directory(peer.port()));
        transport.send(append(1));
        assertThat(unreachable.poll(10, TimeUnit.SECONDS)).isEqualTo("n2");
        assertThat(sendUntilItArrives(append(2))).as("once the peer takes streams again").containsExactly(append(2));
    }

    /**
     * A peer of an earlier version has no stream endpoint (404): it is sent requests as before, so a
     * cluster in the middle of a rolling upgrade keeps committing.
     */
    @Test
    void aPeerOfAnEarlierVersionIsSentRequests() throws Exception {
        peer = new FakeStreamPeer();
        peer.refuse(n -> 404);
        transport = transport(directory(peer.port()));
        sendUntilItArrives(append(1));
        sendUntilItArrives(new io.raftkv.raft.RequestVote("n1", "n2", 2, 1, 1, false, false));
        assertThat(peer.posts).contains("/raft/append", "/raft/vote");
        assertThat(peer.sessions).as("no stream was opened").isEmpty();
    }

    @Test
    void aMessageForANonMemberMakesNoSenderThreads() throws Exception {
        peer = new FakeStreamPeer();
        transport = transport(directory(peer.port()));
        long before = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("raftkv-send-")).count();
        for (int i = 0; i < 50; i++) {
            transport.send(new Heartbeat("n1", "x" + i, 1, 0, 0));
        }
        long after = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("raftkv-send-")).count();
        assertThat(after).isEqualTo(before);
    }

    @Test
    void theConfiguredTransportDecidesThePeerScheme() {
        assertThat(new PeerClient(null).withScheme("https://a:1")).isEqualTo("http://a:1");
        assertThat(new PeerClient(null).withScheme("http://a:1")).isEqualTo("http://a:1");
    }
}
