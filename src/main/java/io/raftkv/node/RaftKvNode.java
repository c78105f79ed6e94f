package io.raftkv.node;

import io.raftkv.kv.AuthCommand;
import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.TxnCommand;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Role;
import io.raftkv.raft.storage.DurableSnapshotStore;
import io.raftkv.raft.storage.DurableStorage;
import io.raftkv.raft.storage.StorageFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One raftkv node: the {@link NodeDriver} on the Raft thread, the key-value state machine on the
 * apply thread, storage and the peer transport, with the limits in front. This is what the web layer
 * talks to. It is built from {@link Parts}, so a whole cluster can run in one JVM over in-memory parts.
 */
public final class RaftKvNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RaftKvNode.class);

    /**
     * @param bootstrap    membership for a new data directory; ignored once the directory holds a cluster
     * @param clusterToken mixed into the cluster ID made at bootstrap, so two clusters with the same members differ
     * @param peerTls      this node's certificate and the peers' trust, or null for plain HTTP between peers
     */
    public record Settings(String id, String clientUrl, Path dataDir, Membership bootstrap, RaftConfig raft,
                           String peerSecret, long snapshotEntries, long trailingEntries, Duration stepDownGrace,
                           IdempotencyPolicy idempotency, String clusterToken, PeerClient.Tls peerTls) {
    }

    /**
     * How a node reaches its peers, made once the node knows its directory. {@link PeerTransport}
     * over HTTP in production; a direct in-memory network in tests of a whole cluster in one JVM.
     */
    public interface TransportFactory {
        /**
         * @param unreachable     to be told the id of a peer replication could not reach
         * @param snapshotOutcome to be told whether a snapshot transfer to a peer finished
         */
        Transport create(PeerDirectory directory, Consumer<String> unreachable, BiConsumer<String, Boolean> snapshotOutcome);
    }

    /** An {@link Outbox} with something to close. */
    public interface Transport extends Outbox, AutoCloseable {
        @Override
        void close();
    }

    /**
     * What a node is built from, in the manner of hashicorp/raft's {@code NewRaft}: storage (durable,
     * or the in-memory twins), the cluster ID, the transport and the clock.
     *
     * @param peerClient the outbound HTTP client, so a renewed peer certificate can be swapped in; null without one
     */
    public record Parts(RaftStorage storage, String clusterId, TransportFactory transport, Clock clock, PeerClient peerClient) {
    }

    private final Settings settings;
    private final RaftStorage storage;
    private final KvStateMachine stateMachine;
    private final StatusBoard board;
    private final PeerDirectory directory;
    private final Transport transport;
    private final Parts parts;
    private final RaftLoop<WriteResult> loop;
    private final ApplyLoop<WriteResult> apply;
    private final StoreQuota quota;
    private final Backpressure backpressure;
    private final SnapshotInbox snapshotInbox;
    private final Thread loopThread;
    private final Thread applyThread;
    private volatile boolean closed;

    /** A node over {@code parts}; {@link #open} makes the production parts from {@code s.dataDir()}. */
    public RaftKvNode(Settings s, Parts parts, NodeMetrics metrics, NodeLimits limits) {
        this.settings = s;
        this.parts = parts;
        this.storage = parts.storage();
        if (!storage.isBootstrapped()) {
            log.info("{}: new data directory {}; bootstrapping the cluster {}", s.id(), s.dataDir(), s.bootstrap().voters());
            storage.bootstrap(s.bootstrap());
        }
        RaftNode raft = new RaftNode(s.raft(), storage, new Random(new SecureRandom().nextLong()));
        if (!raft.membership().equals(s.bootstrap())) {
            log.warn("{}: raftkv.cluster {} differs from the membership stored in {} ({}); the stored one is used",
                    s.id(), s.bootstrap().voters(), s.dataDir(), raft.membership().voters());
        }
        this.stateMachine = new KvStateMachine(s.idempotency());
        Proposals<WriteResult> proposals = new Proposals<>(parts.clock(), s.stepDownGrace(), metrics);
        this.board = new StatusBoard(new NodeStatus(s.id(), Role.FOLLOWER, raft.term(), null, false, raft.commitIndex(),
                0, raft.lastIndex(), raft.firstIndex(), 0, raft.membership(), null));
        this.directory = new PeerDirectory(s.id(), s.clientUrl(), raft.membership());
        board.onChange(status -> directory.updateMembership(status.membership()));

        @SuppressWarnings("unchecked")
        RaftLoop<WriteResult>[] loopRef = new RaftLoop[1];
        DirectApplier<WriteResult> applier = new DirectApplier<>(new KvApplied(stateMachine), storage.snapshots().latest(),
                proposals, snap -> loopRef[0].submit(d -> d.snapshotTaken(snap)), s.snapshotEntries(), metrics);
        this.apply = new ApplyLoop<>(applier, t -> loopRef[0].submit(d -> d.fail("applying committed entries failed", t)));
        this.transport = parts.transport().create(directory,
                peer -> loopRef[0].submit(d -> d.reportUnreachable(peer)),
                (peer, ok) -> loopRef[0].submit(d -> d.reportSnapshot(peer, ok)));
        NodeDriver<WriteResult> driver = new NodeDriver<>(raft, storage, transport, apply, proposals, metrics,
                parts.clock(), s.trailingEntries(), NodeDriver.Observer.NONE);
        this.loop = new RaftLoop<>(driver, board);
        loopRef[0] = loop;
        this.quota = new StoreQuota(limits.storeQuotaBytes(), stateMachine);
        this.backpressure = new Backpressure(limits.backpressure(), quota,
                () -> board.current().commitIndex() - stateMachine.appliedIndex(), metrics);
        // Chunks of a streamed snapshot go to a file next to the store; in-memory stores take snapshots whole.
        this.snapshotInbox = storage.snapshots() instanceof DurableSnapshotStore store
                ? new SnapshotInbox(s.id(), store, this::receive) : null;
        this.loopThread = daemon(loop, "raftkv-raft");
        this.applyThread = daemon(apply, "raftkv-apply");
    }

    /** The production parts: durable storage in {@code s.dataDir()}, its cluster ID, and the HTTP peer transport. */
    public static Parts productionParts(Settings s, NodeMetrics metrics) throws IOException {
        RaftStorage storage = DurableStorage.open(s.dataDir());
        if (!storage.isBootstrapped()) {
            storage.bootstrap(s.bootstrap());
        }
        // A directory made before cluster IDs existed has none: its stored membership is still the bootstrap one
        // (membership never changes yet), and every snapshot, the bootstrap one included, carries it.
        String clusterId = ClusterId.loadOrCreate(s.dataDir(), storage.snapshots().latest().metadata().membership(),
                s.clusterToken());
        PeerClient peerClient = new PeerClient(s.peerTls());
        TransportFactory transport = (directory, unreachable, snapshotOutcome) -> new PeerTransport(directory, clusterId,
                s.peerSecret(), peerClient, (index, term) -> DurableStorage.snapshots(storage).openSource(index, term),
                unreachable, snapshotOutcome, metrics);
        return new Parts(storage, clusterId, transport, Clock.SYSTEM, peerClient);
    }

    /** With the {@link NodeLimits#forHeap default limits} for this JVM's heap. */
    public static RaftKvNode open(Settings s, NodeMetrics metrics) throws IOException {
        return open(s, metrics, NodeLimits.forHeap(Runtime.getRuntime().maxMemory()));
    }

    public static RaftKvNode open(Settings s, NodeMetrics metrics, NodeLimits limits) throws IOException {
        return new RaftKvNode(s, productionParts(s, metrics), metrics, limits);
    }

    public void start() {
        applyThread.start();
        loopThread.start();
        log.info("{}: started (term {}, log {}..{}, peers {})", settings.id(), board.current().term(),
                board.current().firstIndex(), board.current().lastIndex(), directory.membership().ids());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---------------------------------------------------------------- client side

    /**
     * Proposes a write; completes with its result once applied here, or exceptionally (see
     * {@link Proposals}). A write the limits refuse completes at once with {@link OverloadedException}
     * or {@link StoreFullException}, and was never proposed.
     */
    public CompletableFuture<WriteResult> write(KvCommand command) {
        return admitAndPropose(command.encode(), command);
    }

    /** Proposes a transaction; completes like {@link #write(KvCommand)}. The store quota is checked by the caller. */
    public CompletableFuture<WriteResult> write(TxnCommand command) {
        return admitAndPropose(command.encode(), null);
    }

    /** Proposes a lease change; completes like {@link #write(KvCommand)}. */
    public CompletableFuture<WriteResult> write(LeaseCommand command) {
        return admitAndPropose(command.encode(), null);
    }

    /** Proposes a change to the roles and tokens; completes like {@link #write(KvCommand)}. */
    public CompletableFuture<WriteResult> write(AuthCommand command) {
        return admitAndPropose(command.encode(), null);
    }


    /**
     * Proposes {@code entry} if the limits admit it. {@code quotaCommand} is what the store quota
     * measures; null for an entry that does not grow the key space (it still counts as pending work).
     */
    private CompletableFuture<WriteResult> admitAndPropose(byte[] entry, KvCommand quotaCommand) {
        Backpressure.Ticket ticket;
        try {
            ticket = backpressure.admitWrite(quotaCommand, entry.length);
        } catch (OverloadedException | StoreFullException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<WriteResult> answer = new CompletableFuture<>();
        loop.submit(d -> d.propose(entry, ticket, answer));
        return answer;
    }

    /**
     * Completes when a read of local state is linearizable: leadership confirmed and the read index
     * applied; at once with {@link OverloadedException} when too many reads wait already.
     */
    public CompletableFuture<Void> readBarrier() {
        Runnable done;
        try {
            done = backpressure.admitRead();
        } catch (OverloadedException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.submit(d -> d.read(f));
        f.whenComplete((v, e) -> done.run());
        return f;
    }

    /** The store quota: usage, pending reservations and the alarm, for health and metrics. */
    public StoreQuota quota() {
        return quota;
    }

    /** Client work in progress against its bounds, for metrics. */
    public Backpressure backpressure() {
        return backpressure;
    }

    /** The replicated data as applied on this node. */
    public KvStateMachine stateMachine() {
        return stateMachine;
    }

    public NodeStatus status() {
        return board.current();
    }

    public StatusBoard board() {
        return board;
    }

    public PeerDirectory directory() {
        return directory;
    }

    public Optional<String> storageFailure() {
        return DurableStorage.failure(storage).map(Throwable::getMessage)
                .or(() -> Optional.ofNullable(board.current().failure()));
    }

    // ---------------------------------------------------------------- peer side

    public void receive(List<Message> messages) {
        loop.submit(d -> messages.forEach(d::step));
    }

    /** Made once at bootstrap and kept in the data directory; every peer request must carry it. */
    public String clusterId() {
        return parts.clusterId();
    }

    /** The outbound peer client, so a renewed peer certificate can be swapped in; null when peers are not reached over HTTP. */
    public PeerClient peerClient() {
        return parts.peerClient();
    }

    /** Where a leader's streamed snapshot is reassembled; null over in-memory storage. */
    public SnapshotInbox snapshotInbox() {
        return snapshotInbox;
    }

    public void tick() {
        loop.submit(NodeDriver::tick);
    }

    /**
     * If this node leads, hands leadership to the most up-to-date follower and waits (up to
     * {@code wait}) until another node leads. Used on shutdown so a rolling restart does not wait out
     * an election timeout.
     */
    public boolean handOverLeadership(Duration wait) {
        try {
            CompletableFuture<String> transfer = new CompletableFuture<>();
            loop.submit(d -> transfer.complete(d.transferToBestFollower()));
            String target = transfer.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (target == null) {
                return false;
            }
            log.info("{}: handing leadership to {} before shutting down", settings.id(), target);
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline) {
                NodeStatus st = board.current();
                if (!st.isLeader() && st.leader() != null) {
                    log.info("{}: {} now leads", settings.id(), st.leader());
                    return true;
                }
                Thread.sleep(5);
            }
            log.warn("{}: leadership transfer did not finish within {}", settings.id(), wait);
        } catch (Exception e) {
            log.warn("{}: leadership transfer failed: {}", settings.id(), e.toString());
        }
        return false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // The driver answers everything pending as it stops; the apply thread then answers the reads it held.
        loop.stop();
        transport.close();
        try {
            loopThread.join(2000);
            apply.stop();
            applyThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            DurableStorage.close(storage);
        } catch (StorageFailedException e) {
            log.warn("{}: closing storage: {}", settings.id(), e.toString());
        }
        log.info("{}: stopped", settings.id());
    }
}
