package io.raftkv.node;

import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.AppendEntriesResponse;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.HeartbeatResponse;
import io.raftkv.raft.ReadIndexRequest;
import io.raftkv.raft.ReadIndexResponse;
import io.raftkv.raft.InstallSnapshot;
import io.raftkv.raft.Message;
import io.raftkv.raft.RequestVote;
import io.raftkv.raft.RequestVoteResponse;
import io.raftkv.raft.TimeoutNow;
import io.raftkv.raft.storage.SnapshotChunk;
import io.raftkv.raft.storage.SnapshotSource;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Sends Raft messages to peers over long-lived streams ({@link PeerStream}, a WebSocket on each
 * peer's peer port). Each peer has its own queues and sender threads, so a slow or dead peer never
 * blocks the Raft loop or the other peers. Messages are one-way (answers come back as messages of
 * their own, on the peer's streams to us); everything queued while a sender was busy goes in its
 * next batch. Replication and control messages travel in separate lanes (see {@link PeerSender}),
 * and snapshots stream in chunks of HTTP requests on a thread of their own, so neither holds up
 * heartbeats. Lost messages are not resent here: Raft retransmits what matters.
 */
public final class PeerTransport implements RaftKvNode.Transport {
    private static final Logger log = LoggerFactory.getLogger(PeerTransport.class);
    private static final int MAX_QUEUED = 20_000;
    private static final int MAX_BATCH_MESSAGES = 4096;
    /** A batch stops growing before its encoded size would pass this, unless it holds only one message. */
    static final long MAX_BATCH_BYTES = 8L << 20;
    /** Bytes a client command may add to a log entry beyond its key and value (content type, idempotency key, framing). */
    private static final long COMMAND_OVERHEAD_BYTES = 4096;
    /** Room for a message's own fields and sender and receiver ids (each at most 63 bytes). */
    private static final long MESSAGE_OVERHEAD_BYTES = 1024;

    public static final int SNAPSHOT_CHUNK_BYTES = 1 << 20;
    /** On {@code POST /raft/join}: the peer URL the joining member is reached at. */
    public static final String JOIN_PEER_URL_HEADER = "X-Raftkv-Peer-Url";

    /**
     * How long a replication stream may take to open. As short as a control stream's: when a reset
     * takes the answer to the upgrade, waiting changes nothing and only another try on a new
     * connection gets the appends through. At one second, three such waits in a row on the lanes to
     * a majority stopped every write for 3.3 s in the 15% resets schedule; giving up early costs the
     * leader no more than a probe.
     */
    static final java.time.Duration REPLICATION_OPEN_TIMEOUT = java.time.Duration.ofMillis(300);

    /**
     * How long a control stream may take to open. Short: its sender holds the heartbeats it took
     * meanwhile, and another try on a new connection is what gets them through when the answer to
     * the upgrade was lost (with resets on 15% of peer writes, a second-long wait here cost elections).
     */
    static final java.time.Duration CONTROL_OPEN_TIMEOUT = java.time.Duration.ofMillis(300);

    /** The longest pause between attempts to reach a peer that keeps failing. */
    static final long MAX_BACKOFF_MILLIS = 100;

    /**
     * The largest request body this node's sender ever builds, so a receiver can refuse anything
     * bigger: a batch is at most {@link #MAX_BATCH_BYTES}, or a single message over it, and the
     * largest single message is an AppendEntries with up to {@code maxBytesPerMessage} of entries
     * or else one entry, at most the largest command a client may write.
     */
    public static long maxBodyBytes(long maxBytesPerMessage, long maxKeyBytes, long maxValueBytes) {
        long oneEntry = maxKeyBytes + maxValueBytes + COMMAND_OVERHEAD_BYTES + io.raftkv.raft.Entry.OVERHEAD_BYTES;
        long oneMessage = Math.max(maxBytesPerMessage, oneEntry) + MESSAGE_OVERHEAD_BYTES;
        return MessageCodec.BATCH_HEADER_BYTES + Math.max(MAX_BATCH_BYTES, oneMessage);
    }

    /** Opens the snapshot file a leader's InstallSnapshot refers to, for streaming in chunks. */
    public interface SnapshotFiles {
        SnapshotSource open(long index, long term) throws IOException;
    }

    private final PeerDirectory directory;
    private final String clusterId;
    private final String secret;
    private final PeerClient client;
    private final SnapshotFiles snapshotFiles;
    private final Consumer<String> unreachable;
    private final PeerProbe probe;
    private final BiConsumer<String, Boolean> snapshotOutcome;
    private final NodeMetrics metrics;
    private final Map<String, PeerSender> senders = new ConcurrentHashMap<>();
    private final Map<String, ExecutorService> shippers = new ConcurrentHashMap<>();
    private final Set<String> shipping = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param unreachable     told the id of a peer a batch with AppendEntries could not reach, so the
     *                        leader probes it instead of pipelining into the void
     * @param gone            told the id of a peer whose process looks gone ({@link PeerProbe})
     * @param snapshotOutcome told whether a snapshot transfer to a peer finished
     */
    public PeerTransport(PeerDirectory directory, String clusterId, String secret, PeerClient client, SnapshotFiles snapshotFiles,
                         Consumer<String> unreachable, Consumer<String> gone, BiConsumer<String, Boolean> snapshotOutcome,
                         NodeMetrics metrics) {
        this.directory = directory;
        this.clusterId = clusterId;
        this.secret = secret;
        this.client = client;
        this.snapshotFiles = snapshotFiles;
        this.unreachable = unreachable;
        this.probe = new PeerProbe(directory::peerUrl, gone);
        this.snapshotOutcome = snapshotOutcome;
        this.metrics = metrics;
    }

    @Override
    public void send(Message m) {
        if (closed || m.to().equals(directory.selfId())) {
            return;
        }
        if (directory.peerUrl(m.to()).isEmpty()) {
            // Never a queue and threads for an id that is no member (such as one a forged message named).
            log.debug("dropping {} for {}, not a member", m.getClass().getSimpleName(), m.to());
            return;
        }
        if (m instanceof InstallSnapshot s) {
            ship(s);
            return;
        }
        senders.computeIfAbsent(m.to(), PeerSender::new).enqueue(m);
    }

    @Override
    public void close() {
        closed = true;
        senders.values().forEach(PeerSender::stop);
        shippers.values().forEach(ExecutorService::shutdownNow);
        probe.close();
    }

    /** Streams a snapshot file to a follower, one transfer per follower at a time. */
    private void ship(InstallSnapshot m) {
        String peer = m.to();
        if (!shipping.add(peer)) {
            return; // one is already on its way; the leader waits for its answer
        }
        shippers.computeIfAbsent(peer, p -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raftkv-snapshot-" + p);
            t.setDaemon(true);
            return t;
        })).execute(() -> {
            boolean ok = false;
            try {
                ok = streamSnapshot(m);
            } catch (IOException | RuntimeException e) {
                log.warn("sending snapshot {} to {} failed: {}", m.snapshot().index(), peer, e.toString());
            } finally {
                shipping.remove(peer);
                snapshotOutcome.accept(peer, ok);
            }
        });
    }

    private boolean streamSnapshot(InstallSnapshot m) throws IOException {
        String base = directory.peerUrl(m.to()).map(client::withScheme).orElse(null);
        if (base == null) {
            return false;
        }
        long start = System.nanoTime();
        try (SnapshotSource source = snapshotFiles.open(m.snapshot().index(), m.snapshot().term())) {
            long offset = 0;
            while (true) {
                SnapshotChunk chunk = source.read(offset, SNAPSHOT_CHUNK_BYTES);
                Request req = peerRequest(base + "/raft/snapshot")
                        .header(SnapshotHeaders.TO, m.to())
                        .header(SnapshotHeaders.TERM, Long.toString(m.term()))
                        .header(SnapshotHeaders.INDEX, Long.toString(m.snapshot().index()))
                        .header(SnapshotHeaders.SNAPSHOT_TERM, Long.toString(m.snapshot().term()))
                        .header(SnapshotHeaders.OFFSET, Long.toString(chunk.offset()))
                        .header(SnapshotHeaders.LAST, Boolean.toString(chunk.last()))
                        .post(RequestBody.create(chunk.data(), LegacyPeerPosts.WIRE)).build();
                try (Response resp = client.http().newCall(req).execute()) {
                    if (!resp.isSuccessful()) {
                        throw new IOException("HTTP " + resp.code() + " for chunk at " + chunk.offset() + PeerRefusal.detail(resp));
                    }
                }
                if (chunk.last()) {
                    log.info("sent snapshot {}@{} ({} bytes) to {} in {} ms", m.snapshot().index(), m.snapshot().term(),
                            source.size(), m.to(), (System.nanoTime() - start) / 1_000_000);
                    return true;
                }
                offset = chunk.offset() + chunk.data().length;
            }
        }
    }

    /** How many checks of a peer that closed a stream have finished ({@link PeerProbe}), for tests. */
    long probesFinished() {
        return probe.finished();
    }

    public static String endpointFor(Message m) {
        if (m instanceof RequestVote || m instanceof RequestVoteResponse) {
            return "/raft/vote";
        }
        // Read-index requests ride the leader's heartbeat rounds, so they travel where heartbeats do.
        if (m instanceof AppendEntries || m instanceof AppendEntriesResponse || m instanceof Heartbeat
                || m instanceof HeartbeatResponse || m instanceof ReadIndexRequest || m instanceof ReadIndexResponse) {
            return "/raft/append";
        }
        if (m instanceof TimeoutNow) {
            return "/raft/timeout-now";
        }
        throw new IllegalArgumentException("no endpoint for " + m.getClass().getSimpleName());
    }

    /**
     * Asks {@code peer} what it knows of this node (see {@link IdentityCheck}): empty when it cannot be
     * reached or does not answer with a {@code GET /raft/info} of this cluster.
     */
    @Override
    public Optional<IdentityCheck.Answer> askAboutMe(String peer) {
        return closed ? Optional.empty() : directory.peerUrl(peer).flatMap(url -> IdentityCheck.ask(client, url,
                directory.selfId(), directory.selfClientUrl(), secret, clusterId)).filter(a -> clusterId.equals(a.clusterId()));
    }

    @Override
    public Optional<String> requestJoin(String peer, String url, String selfPeerUrl) {
        Request req = peerRequest(client.withScheme(url) + "/raft/join").header(JOIN_PEER_URL_HEADER, selfPeerUrl)
                .post(RequestBody.create(new byte[0], LegacyPeerPosts.WIRE)).build();
        try (Response resp = client.http().newCall(req).execute()) {
            if (resp.code() == 200) {
                return Optional.empty();
            }
            return Optional.of("HTTP " + resp.code() + " " + resp.body().string());
        } catch (IOException e) {
            return Optional.of(e.toString());
        }
    }

    /** Adds the headers every peer request carries: the cluster, who we are, where clients reach us, the shared secret. */
    Request.Builder peerRequest(String url) {
        Request.Builder b = new Request.Builder().url(url)
                .header(PeerDirectory.CLUSTER_HEADER, clusterId)
                .header(PeerDirectory.NODE_HEADER, directory.selfId())
                .header(PeerDirectory.CLIENT_URL_HEADER, directory.selfClientUrl());
        if (!secret.isEmpty()) {
            b.header("Authorization", "Bearer " + secret);
        }
        return b;
    }

    /**
     * A peer's two lanes. Replication (AppendEntries and their answers) keeps its order on one
     * stream, because a reordered append costs the leader a probe round trip. Everything else
     * (heartbeats, votes, TimeoutNow, read-index requests) may arrive in any order, so it is spread
     * over three streams: a lost packet stalls a TCP connection for a retransmit timeout (200 ms or
     * more, longer than an election timeout), and heartbeats stuck behind it would cost a needless election.
     */
    private final class PeerSender {
        private final Lane replication;
        private final Lane control;

        PeerSender(String peer) {
            replication = new Lane(peer, "replication", 1, REPLICATION_OPEN_TIMEOUT);
            control = new Lane(peer, "control", 3, CONTROL_OPEN_TIMEOUT);
        }

        void enqueue(Message m) {
            (m instanceof AppendEntries || m instanceof AppendEntriesResponse ? replication : control).enqueue(m);
        }

        void stop() {
            replication.stop();
            control.stop();
        }
    }

    /**
     * Messages for one peer, and the streams they go over, each with a worker of its own. A message
     * goes straight to an idle open stream from the thread that sends it (the Raft loop): handing a
     * frame to the stream does not block, and a thread hop per message is latency every write and
     * read pays. Only when no stream is idle and open (one is opening, full, or busy with a batch)
     * does it wait in the queue, where an idle worker takes everything queued as one batch, opening
     * its stream first if need be. One sender per stream at a time and the queue first keep the
     * order of a lane with one stream; the streams of the control lane take turns.
     */
    private final class Lane {
        private final String peer;
        private final String lane;
        /** Guarded by this lane's monitor, as is {@link #busy}. */
        private final ArrayDeque<Message> queue = new ArrayDeque<>();
        private final boolean[] busy;
        private final List<Thread> threads = new ArrayList<>();
        private final List<PeerStream> streams = new ArrayList<>();
        private int turn;
        private volatile boolean running = true;
        /** Until when the peer is sent requests instead of streams (it runs an earlier version); 0 for streams. */
        private volatile long legacyUntilMillis;

        Lane(String peer, String name, int workers, java.time.Duration openTimeout) {
            this.peer = peer;
            this.lane = name;
            this.busy = new boolean[workers];
            for (int i = 0; i < workers; i++) {
                PeerStream stream = new PeerStream(peer, openTimeout, client, this::handshake, this::answered, this::lost);
                streams.add(stream);
                int index = i;
                Thread t = new Thread(() -> work(index), "raftkv-send-" + peer + "-" + name + (workers > 1 ? "-" + i : ""));
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        void enqueue(Message m) {
            int direct = -1;
            synchronized (this) {
                if (queue.isEmpty() && System.currentTimeMillis() >= legacyUntilMillis) {
                    direct = idleOpenStream();
                }
                if (direct < 0) {
                    if (queue.size() >= MAX_QUEUED) {
                        queue.pollFirst(); // a peer this far behind gets the newest messages; Raft resends the rest
                    }
                    queue.addLast(m);
                    notifyAll();
                    return;
                }
                busy[direct] = true;
            }
            boolean sent = false;
            try {
                sent = streams.get(direct).trySend(MessageCodec.encode(List.of(m)));
                if (sent) {
                    metrics.peerBatch(lane, 1);
                }
            } finally {
                synchronized (this) {
                    busy[direct] = false;
                    if (!sent) {
                        queue.addFirst(m); // the worker opens a new stream, or waits for room
                    }
                    if (!queue.isEmpty()) {
                        notifyAll();
                    }
                }
            }
        }

        /** An idle stream that is open and has room, the next in turn; -1 if none. Holds the monitor. */
        private int idleOpenStream() {
            for (int k = 0; k < busy.length; k++) {
                int i = (turn + k) % busy.length;
                if (!busy[i] && streams.get(i).canSendNow()) {
                    turn = i + 1;
                    return i;
                }
            }
            return -1;
        }

        void stop() {
            running = false;
            threads.forEach(Thread::interrupt);
            streams.forEach(PeerStream::close);
        }

        private void work(int index) {
            PeerStream stream = streams.get(index);
            long backoffMillis = 0;
            while (running) {
                List<Message> batch;
                try {
                    synchronized (this) {
                        while (queue.isEmpty() || busy[index]) {
                            wait(1000);
                            if (!running) {
                                return;
                            }
                        }
                        busy[index] = true;
                        batch = takeBatch();
                    }
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    backoffMillis = deliver(stream, batch, backoffMillis);
                } catch (InterruptedException e) {
                    return;
                } finally {
                    synchronized (this) {
                        busy[index] = false;
                        if (!queue.isEmpty()) {
                            notifyAll();
                        }
                    }
                }
            }
        }

        /** Everything queued, up to the batch bounds. Holds the monitor. */
        private List<Message> takeBatch() {
            List<Message> batch = new ArrayList<>();
            long bytes = 0;
            Message next;
            while (batch.size() < MAX_BATCH_MESSAGES && (next = queue.peekFirst()) != null) {
                long size = MessageCodec.encodedSize(next);
                if (!batch.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
                    break; // the receiver's batch limit relies on this bound
                }
                batch.add(queue.pollFirst());
                bytes += size;
            }
            return batch;
        }

        /** Hands a batch to the stream; returns the back-off to keep. */
        private long deliver(PeerStream stream, List<Message> batch, long backoffMillis) throws InterruptedException {
            IOException failure;
            try {
                if (System.currentTimeMillis() < legacyUntilMillis) {
                    postToEarlierVersion(batch);
                } else {
                    try {
                        stream.send(MessageCodec.encode(batch));
                    } catch (PeerRefusal r) {
                        if (r.status() != 404) {
                            throw r;
                        }
                        log.info("{} has no stream endpoint (an earlier version, during an upgrade?): sending it requests", peer);
                        legacyUntilMillis = System.currentTimeMillis() + LegacyPeerPosts.RETRY_STREAMS_AFTER_MILLIS;
                        postToEarlierVersion(batch);
                    }
                }
                metrics.peerBatch(lane, batch.size());
                return 0;
            } catch (IOException e) {
                failure = e;
            }
            if (backoffMillis == 0) {
                log.warn("cannot reach {}: {}", peer, failure.toString());
            } else {
                log.debug("still cannot reach {}: {}", peer, failure.toString());
            }
            if (batch.stream().anyMatch(m -> m instanceof AppendEntries)) {
                unreachable.accept(peer);
            }
            // The first failure after a success is most likely one dead connection, and the stream has
            // already been opened again once: the next batch goes at once. Repeated failures back off so
            // a dead peer costs little, but never for longer than a heartbeat period or two: a longer
            // pause would cost an election on a link that has come back.
            long next = backoffMillis == 0 ? 1 : Math.min(MAX_BACKOFF_MILLIS, Math.max(10, backoffMillis * 2));
            if (next > 1) {
                Thread.sleep(next);
            }
            return next;
        }

        private void postToEarlierVersion(List<Message> batch) throws IOException {
            String base = directory.peerUrl(peer).map(client::withScheme).orElse(null);
            if (base != null) {
                LegacyPeerPosts.post(client.http(), PeerTransport.this::peerRequest, base, batch);
            }
        }

        private Request handshake() {
            return directory.peerUrl(peer).map(url -> peerRequest(client.withScheme(url) + StreamFrames.PATH).build()).orElse(null);
        }

        /** Only what the peer we called says about itself, and only from our own cluster. */
        private void answered(Response resp) {
            metrics.peerStreamOpened(lane);
            if (peer.equals(resp.header(PeerDirectory.NODE_HEADER)) && clusterId.equals(resp.header(PeerDirectory.CLUSTER_HEADER))) {
                directory.learned(peer, resp.header(PeerDirectory.CLIENT_URL_HEADER));
            }
        }

        /**
         * An open stream failed: what it held may be lost, so the core probes a follower it replicates
         * to; and the peer's process may be gone, which a new connection tells.
         */
        private void lost(String why) {
            log.debug("stream to {} ({}) lost: {}", peer, lane, why);
            if (lane.equals("replication")) {
                unreachable.accept(peer);
            }
            if (running && !closed) {
                probe.streamLost(peer);
            }
        }
    }
}
