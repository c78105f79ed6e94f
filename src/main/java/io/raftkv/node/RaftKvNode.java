package io.raftkv.node;

import io.raftkv.kv.AuthCommand;
import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Role;
import io.raftkv.raft.Snapshot;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One raftkv node: durable storage, the Raft core on its loop thread, the key-value state machine
 * on its apply thread, and the peer transport. This is what the web layer talks to.
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

    private final Settings settings;
    private final RaftStorage storage;
    private final KvStateMachine data;
    private final StatusBoard board;
    private final PeerDirectory directory;
    private final PeerTransport transport;
    private final PeerClient peerClient;
    private final String clusterId;
    private final RaftLoop loop;
    private final ApplyLoop apply;
    private final Proposals proposals;
    private final StoreQuota quota;
    private final Backpressure backpressure;
    private final SnapshotInbox snapshotInbox;
    private final ScheduledExecutorService timers;
    private final Thread loopThread;
    private final Thread applyThread;
    private volatile boolean closed;

    private RaftKvNode(Settings s, NodeMetrics metrics, NodeLimits limits) throws IOException {
        this.settings = s;
        this.storage = DurableStorage.open(s.dataDir());
        if (!storage.isBootstrapped()) {
            log.info("{}: new data directory {}; bootstrapping the cluster {}", s.id(), s.dataDir(), s.bootstrap().voters());
            storage.bootstrap(s.bootstrap());
        }
        RaftNode raft = new RaftNode(s.raft(), storage, new Random(new SecureRandom().nextLong()));
        // A directory made before cluster IDs existed has none: its stored membership is still the bootstrap one.
        this.clusterId = ClusterId.loadOrCreate(s.dataDir(), raft.membership(), s.clusterToken());
        if (!raft.membership().equals(s.bootstrap())) {
            log.warn("{}: raftkv.cluster {} differs from the membership stored in {} ({}); the stored one is used",
                    s.id(), s.bootstrap().voters(), s.dataDir(), raft.membership().voters());
        }
        this.data = new KvStateMachine(s.idempotency());
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "raftkv-timers"));
        this.proposals = new Proposals(timers, s.stepDownGrace(), metrics);
        this.board = new StatusBoard(new NodeStatus(s.id(), Role.FOLLOWER, raft.term(), null, false, raft.commitIndex(),
                0, raft.lastIndex(), raft.firstIndex(), 0, raft.membership(), null));
        this.directory = new PeerDirectory(s.id(), s.clientUrl(), raft.membership());
        board.onChange(status -> directory.updateMembership(status.membership()));

        Snapshot base = storage.snapshots().latest();
        RaftLoop[] loopRef = new RaftLoop[1];
        this.apply = new ApplyLoop(data, base, proposals, snap -> loopRef[0].snapshotTaken(snap), s.snapshotEntries(),
                metrics, t -> loopRef[0].halt("applying committed entries failed", t));
        this.peerClient = new PeerClient(s.peerTls());
        this.transport = new PeerTransport(directory, clusterId, s.peerSecret(), peerClient,
                (index, term) -> DurableStorage.snapshots(storage).openSource(index, term),
                peer -> loopRef[0].submit(r -> r.reportUnreachable(peer)),
                (peer, ok) -> loopRef[0].submit(r -> r.reportSnapshot(peer, ok)), metrics);
        this.loop = new RaftLoop(raft, storage, transport, apply, proposals, board, metrics, s.trailingEntries());
        loopRef[0] = loop;
        this.quota = new StoreQuota(limits.storeQuotaBytes(), data);
        this.backpressure = new Backpressure(limits.backpressure(), quota,
                () -> board.current().commitIndex() - data.appliedIndex(), metrics);
        this.snapshotInbox = new SnapshotInbox(s.id(), DurableStorage.snapshots(storage), loop::step);
        this.loopThread = daemon(loop, "raftkv-raft");
        this.applyThread = daemon(apply, "raftkv-apply");
    }

    /** With the {@link NodeLimits#forHeap default limits} for this JVM's heap. */
    public static RaftKvNode open(Settings s, NodeMetrics metrics) throws IOException {
        return open(s, metrics, NodeLimits.forHeap(Runtime.getRuntime().maxMemory()));
    }

    public static RaftKvNode open(Settings s, NodeMetrics metrics, NodeLimits limits) throws IOException {
        return new RaftKvNode(s, metrics, limits);
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
        return loop.propose(entry, ticket);
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
        CompletableFuture<Void> f = loop.readBarrier();
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
        return data;
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
                .or(() -> Optional.ofNullable(loop.failure()));
    }

    // ---------------------------------------------------------------- peer side

    public void receive(List<Message> messages) {
        loop.step(messages);
    }

    /** Made once at bootstrap and kept in the data directory; every peer request must carry it. */
    public String clusterId() {
        return clusterId;
    }

    /** The outbound peer client, so a renewed peer certificate can be swapped in. */
    public PeerClient peerClient() {
        return peerClient;
    }

    public SnapshotInbox snapshotInbox() {
        return snapshotInbox;
    }

    public void tick() {
        loop.tick();
    }

    /**
     * If this node leads, hands leadership to the most up-to-date follower and waits (up to
     * {@code wait}) until another node leads. Used on shutdown so a rolling restart does not wait out
     * an election timeout.
     */
    public boolean handOverLeadership(Duration wait) {
        try {
            String target = loop.transferToBestFollower().get(wait.toMillis(), TimeUnit.MILLISECONDS);
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
        loop.stop();
        apply.stop();
        transport.close();
        try {
            loopThread.join(2000);
            applyThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        proposals.failAll(new WriteOutcomeUnknownException(
                "this node shut down before it knew whether the write committed; it may or may not be applied"));
        timers.shutdownNow();
        try {
            DurableStorage.close(storage);
        } catch (StorageFailedException e) {
            log.warn("{}: closing storage: {}", settings.id(), e.toString());
        }
        log.info("{}: stopped", settings.id());
    }
}
