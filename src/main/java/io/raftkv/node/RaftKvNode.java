package io.raftkv.node;

import io.raftkv.kv.AuthCommand;
import io.raftkv.kv.IdempotencyPolicy;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.TxnCommand;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Membership;
import io.raftkv.raft.MembershipChangeException;
import io.raftkv.raft.Message;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftConfig;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Role;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.storage.DurableSnapshotStore;
import io.raftkv.raft.storage.DurableStableStore;
import io.raftkv.raft.storage.DurableStorage;
import io.raftkv.raft.storage.StorageFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

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
         * @param gone            to be told the id of a peer whose process looks gone (it closed its
         *                        connections and takes no new one)
         * @param snapshotOutcome to be told whether a snapshot transfer to a peer finished
         */
        Transport create(PeerDirectory directory, Consumer<String> unreachable, Consumer<String> gone,
                         BiConsumer<String, Boolean> snapshotOutcome);
    }

    /** An {@link Outbox} with something to close. */
    public interface Transport extends Outbox, AutoCloseable {
        @Override
        void close();

        /** What {@code peer} says of this node, for {@link IdentityCheck}; empty if it does not answer. */
        default Optional<IdentityCheck.Answer> askAboutMe(String peer) {
            return Optional.empty();
        }

        /**
         * Asks the node at {@code url} to add this node (at {@code selfPeerUrl}) as a learner; empty
         * once it has, else why not.
         */
        default Optional<String> requestJoin(String peer, String url, String selfPeerUrl) {
            return Optional.of("this transport cannot ask");
        }
    }

    /**
     * What a node is built from, in the manner of hashicorp/raft's {@code NewRaft}: storage (durable,
     * or the in-memory twins), the cluster ID, the transport and the clock.
     *
     * @param peerClient  the outbound HTTP client, so a renewed peer certificate can be swapped in; null without one
     * @param unconfirmed the data directory is new and must pass the {@link IdentityCheck} before the node takes part
     * @param memberId    this data directory's member id: the node's name, or a later id of that name
     */
    public record Parts(RaftStorage storage, String clusterId, TransportFactory transport, Clock clock, PeerClient peerClient,
                        boolean unconfirmed, String memberId) {
        /** Parts of a directory made at the cluster's bootstrap, whose member id is the node's name. */
        public Parts(RaftStorage storage, String clusterId, TransportFactory transport, Clock clock, PeerClient peerClient) {
            this(storage, clusterId, transport, clock, peerClient, false, null);
        }
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
    private final BackgroundSnapshotSaver snapshotSaver;
    private final StoreQuota quota;
    private final Backpressure backpressure;
    private final SnapshotInbox snapshotInbox;
    private final Thread loopThread;
    private final Thread applyThread;
    private volatile boolean closed;
    /** False until a new data directory has passed the {@link IdentityCheck}: no ticks, no peer messages. */
    private volatile boolean confirmed;
    private final String memberId;
    private volatile String identityProblem;

    /** A node over {@code parts}; {@link #open} makes the production parts from {@code s.dataDir()}. */
    public RaftKvNode(Settings s, Parts parts, NodeMetrics metrics, NodeLimits limits) {
        this.settings = s;
        this.parts = parts;
        this.confirmed = !parts.unconfirmed();
        this.memberId = parts.memberId() == null ? s.id() : parts.memberId();
        this.storage = parts.storage();
        if (!storage.isBootstrapped()) {
            log.info("{}: new data directory {}; bootstrapping the cluster {}", s.id(), s.dataDir(), s.bootstrap().voters());
            storage.bootstrap(s.bootstrap());
        }
        RaftNode raft = new RaftNode(s.raft().withId(memberId), storage, new Random(new SecureRandom().nextLong()));
        if (raft.membership().voters().isEmpty()) {
            log.info("{}: member {} joins the cluster through {}", s.id(), memberId, s.bootstrap().ids());
        } else if (!raft.membership().voters().equals(s.bootstrap().voters())) {
            log.warn("{}: raftkv.cluster {} differs from the membership stored in {} ({}); the stored one is used",
                    s.id(), s.bootstrap().voters(), s.dataDir(), raft.membership().voters());
        }
        this.stateMachine = new KvStateMachine(s.idempotency());
        Proposals<WriteResult> proposals = new Proposals<>(parts.clock(), s.stepDownGrace(), metrics);
        this.board = new StatusBoard(new NodeStatus(memberId, Role.FOLLOWER, raft.term(), null, false, raft.commitIndex(),
                0, raft.lastIndex(), raft.firstIndex(), 0, raft.membership(), null));
        this.directory = new PeerDirectory(memberId, s.clientUrl(), raft.membership(), s.bootstrap());
        board.onChange(status -> directory.updateMembership(status.membership()));

        @SuppressWarnings("unchecked")
        RaftLoop<WriteResult>[] loopRef = new RaftLoop[1];
        DirectApplier<WriteResult> applier = new DirectApplier<>(new KvApplied(stateMachine), storage.snapshots().latest(),
                proposals, snap -> loopRef[0].submit(d -> d.snapshotTaken(snap)), s.snapshotEntries(), metrics);
        this.apply = new ApplyLoop<>(applier, t -> loopRef[0].submit(d -> d.fail("applying committed entries failed", t)));
        this.transport = parts.transport().create(directory,
                peer -> loopRef[0].submit(d -> d.reportUnreachable(peer)),
                peer -> loopRef[0].submit(d -> d.reportGone(peer)),
                (peer, ok) -> loopRef[0].submit(d -> d.reportSnapshot(peer, ok)));
        this.snapshotSaver = new BackgroundSnapshotSaver(storage.snapshots(), task -> loopRef[0].submit(d -> task.run()), metrics);
        NodeDriver<WriteResult> driver = new NodeDriver<>(raft, storage, transport, apply, proposals, metrics,
                parts.clock(), s.trailingEntries(), NodeDriver.Observer.NONE, snapshotSaver);
        this.loop = new RaftLoop<>(driver, board);
        loopRef[0] = loop;
        this.quota = new StoreQuota(limits.storeQuotaBytes(), stateMachine);
        this.backpressure = new Backpressure(limits.backpressure(), quota,
                () -> board.current().commitIndex() - stateMachine.appliedIndex(), metrics);
        // Chunks of a streamed snapshot go to a file next to the store; in-memory stores take snapshots whole.
        this.snapshotInbox = storage.snapshots() instanceof DurableSnapshotStore store
                ? new SnapshotInbox(memberId, store, this::receive) : null;
        this.loopThread = daemon(loop, "raftkv-raft");
        this.applyThread = daemon(apply, "raftkv-apply");
    }

    /**
     * The production parts: durable storage in {@code s.dataDir()}, its cluster ID and member id, and
     * the HTTP peer transport. A new data directory first asks the other members about itself (see
     * {@link IdentityCheck}): one that replaced a lost directory, or whose cluster was made without it,
     * joins as a new member; otherwise it bootstraps the cluster of {@code raftkv.cluster}, unconfirmed.
     */
    public static Parts productionParts(Settings s, NodeMetrics metrics) throws IOException {
        PeerClient peerClient = new PeerClient(s.peerTls());
        if (IdentityCheck.replaced(s.dataDir())) {
            log.warn("{}: {} never took part and was replaced by an earlier member of this name: emptying it to join as a new member",
                    s.id(), s.dataDir());
            IdentityCheck.wipeReplaced(s.dataDir());
        }
        RaftStorage storage = DurableStorage.open(s.dataDir());
        try {
            if (!storage.isBootstrapped()) {
                bootstrapNewDirectory(s, storage, peerClient);
            }
        } catch (IOException | RuntimeException e) {
            DurableStorage.close(storage);
            throw e;
        }
        boolean unconfirmed = IdentityCheck.pending(s.dataDir());
        String memberId = IdentityCheck.memberId(s.dataDir(), s.id());
        // A directory made before cluster IDs existed has none: its stored membership is still the bootstrap one
        // (membership never changed then), and every snapshot, the bootstrap one included, carries it.
        String clusterId = ClusterId.loadOrCreate(s.dataDir(), storage.snapshots().latest().metadata().membership(),
                s.clusterToken());
        TransportFactory transport = (directory, unreachable, gone, snapshotOutcome) -> new PeerTransport(directory, clusterId,
                s.peerSecret(), peerClient, (index, term) -> DurableStorage.snapshots(storage).openSource(index, term),
                unreachable, gone, snapshotOutcome, metrics);
        return new Parts(storage, clusterId, transport, Clock.SYSTEM, peerClient, unconfirmed, memberId);
    }

    private static void bootstrapNewDirectory(Settings s, RaftStorage storage, PeerClient client) throws IOException {
        List<Peer> others = s.bootstrap().voters().stream().filter(p -> !p.id().equals(s.id())).toList();
        if (others.isEmpty()) {
            storage.bootstrap(s.bootstrap());
            return;
        }
        String derived = ClusterId.derive(s.bootstrap(), s.clusterToken());
        Optional<IdentityCheck.Answer> existing = Optional.empty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        Set<String> answered = new HashSet<>();
        // Waiting is for a member that runs but answers slowly. When none of those still to answer even
        // listens, no running member is there to find (in a new cluster they are all starting as this one
        // is, and open their peer port only once started): bootstrap at once. That costs no safety: the
        // directory starts unconfirmed and takes no part until every member has answered.
        boolean unansweredListening = true;
        while (existing.isEmpty() && answered.size() < others.size() && unansweredListening && System.nanoTime() < deadline) {
            unansweredListening = false;
            for (Peer p : others) {
                IdentityCheck.Reply r = IdentityCheck.probe(client, p.address(), s.id(), s.clientUrl(), s.peerSecret(), null);
                Optional<IdentityCheck.Answer> a = r.answer();
                a.ifPresent(x -> answered.add(p.id()));
                unansweredListening |= !answered.contains(p.id()) && r.listening();
                if (a.isPresent() && (a.get().heardFromYou() || !a.get().clusterId().equals(derived))) {
                    existing = a;
                    break;
                }
            }
            if (existing.isEmpty() && answered.size() < others.size() && unansweredListening) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while asking the other members about " + s.id(), e);
                }
            }
        }
        if (existing.isPresent()) {
            String memberId = IdentityCheck.newMemberId(s.id());
            log.warn("{}: new data directory {}, and cluster {} {}: joining it as the new member {}", s.id(), s.dataDir(),
                    existing.get().clusterId(), existing.get().heardFromYou()
                            ? "has heard from " + s.id() + " before (its earlier data directory was lost)"
                            : "was made without this node", memberId);
            ClusterId.store(s.dataDir(), existing.get().clusterId()); // first: a member id file implies a cluster ID
            IdentityCheck.storeMemberId(s.dataDir(), memberId);
            storage.bootstrap(new Membership(List.of(), List.of(), Set.of()));
            return;
        }
        IdentityCheck.mark(s.dataDir()); // before the bootstrap: a crash in between leaves it marked
        storage.bootstrap(s.bootstrap());
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
        if (!confirmed) {
            daemon(this::confirmIdentity, "raftkv-identity").start();
        } else if (!directory.membership().isMember(memberId)) {
            daemon(this::join, "raftkv-join").start();
        }
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

    // ---------------------------------------------------------------- membership

    /**
     * Adds {@code id} as a learner (on the leader). Completes once the change is applied here; at once
     * when {@code id} is a member already. Fails with {@link io.raftkv.raft.NotLeaderException},
     * {@link io.raftkv.raft.MembershipChangeException} (another change is under way: retry), or
     * {@link IllegalArgumentException} (the id was removed before).
     */
    public CompletableFuture<Void> addLearner(String id, String peerUrl) {
        if (directory.membership().isMember(id) && status().isLeader()) {
            return CompletableFuture.completedFuture(null);
        }
        return changeMembership(m -> m.isMember(id) ? m : m.withLearner(new Peer(id, peerUrl)));
    }

    /**
     * Makes learner {@code id} a voter; fails as {@link #addLearner} does, when it is no learner, and
     * (retryable) while it is behind the leader or silent: the core's rule, {@code RaftConfig.promotionMaxLag}.
     */
    public CompletableFuture<Void> promote(String id) {
        return changeMembership(m -> m.promote(id));
    }

    /**
     * Takes member {@code id} out for good (its id can never come back). This node, when it leads, is
     * not removed by itself: it first hands leadership to its best follower and fails with
     * {@link io.raftkv.raft.NotLeaderException}, so the caller retries on the new leader.
     */
    public CompletableFuture<Void> remove(String id) {
        if (id.equals(memberId) && status().isLeader()) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            loop.submit(d -> {
                String to = d.transferToBestFollower();
                f.completeExceptionally(new NotLeaderException(to,
                        "this node leads: it hands leadership to " + to + " first; remove it through the new leader"));
            });
            return f;
        }
        return changeMembership(m -> m.without(id));
    }

    /** Sets the number of voters the autopilot works toward, through the log (0: keep the voters there are). */
    public CompletableFuture<Void> setDesiredSize(int size) {
        return changeMembership(m -> m.withDesiredSize(size));
    }

    private CompletableFuture<Void> changeMembership(UnaryOperator<Membership> change) {
        CompletableFuture<WriteResult> applied = new CompletableFuture<>();
        loop.submit(d -> d.proposeMembership(change, applied));
        return applied.thenApply(r -> null);
    }

    /** Hands leadership to member {@code id} (a voter); ignored unless this node leads. */
    public void transferLeadership(String id) {
        loop.submit(d -> d.transferLeadership(id));
    }

    /** Whether a membership change is in the log but not yet committed (as this node sees it). */
    public CompletableFuture<Boolean> membershipChangePending() {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        loop.submit(d -> f.complete(d.membershipChangePending()));
        return f;
    }

    /** Each member with its replication progress, as this node sees it when it leads; empty otherwise. */
    public CompletableFuture<List<MemberView>> members() {
        CompletableFuture<List<MemberView>> f = new CompletableFuture<>();
        loop.submit(d -> f.complete(d.members()));
        return f;
    }

    /**
     * The state as applied on this node, captured on the apply thread, with its index, term and
     * membership; for a backup ({@link Backup}), after a {@link #readBarrier}. Its data is written
     * out by whoever reads it, on their own thread.
     */
    CompletableFuture<Snapshot> captureAppliedState() {
        return apply.captureAppliedState();
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
                .or(() -> Optional.ofNullable(board.current().failure()))
                .or(() -> Optional.ofNullable(identityProblem));
    }

    /** Whether this node takes part in Raft: false while a new data directory waits for its {@link IdentityCheck}. */
    public boolean confirmed() {
        return confirmed;
    }

    /**
     * Whether this node ever took a message from member {@code id} (kept durably): a node with a new
     * data directory asks before it takes part, see {@link IdentityCheck}.
     */
    public boolean heardFrom(String id) {
        var contacts = storage.stable().contacts();
        return contacts.contains(id) || contacts.contains(DurableStableStore.LEGACY_CONTACT);
    }

    /**
     * Asks the members named in {@code raftkv.cluster} to add this node as a learner, until one that
     * leads has (the membership then reaches this node with the log). The autopilot, or an operator,
     * promotes it once it has caught up.
     */
    private void join() {
        List<Peer> peers = settings.bootstrap().voters().stream().filter(p -> !p.id().equals(settings.id())).toList();
        String peerUrl = settings.bootstrap().peer(settings.id()).map(Peer::address).orElse("");
        long nextLog = 0;
        while (!closed && !directory.membership().isMember(memberId)) {
            for (Peer p : peers) {
                Optional<String> refusal = transport.requestJoin(p.id(), p.address(), peerUrl);
                if (refusal.isEmpty()) {
                    log.info("{}: added as a learner through {}", memberId, p.id());
                    return;
                }
                if (System.nanoTime() > nextLog) {
                    log.info("{}: asking {} to add this node as a learner: {}", memberId, p.id(), refusal.get());
                }
            }
            if (System.nanoTime() > nextLog) {
                nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Asks every other member about this node until they all answered; see {@link IdentityCheck}. */
    private void confirmIdentity() {
        String self = directory.selfId();
        List<String> others = directory.membership().memberIds().stream().filter(id -> !id.equals(self)).toList();
        log.info("{}: new data directory {}: asking {} whether they ever heard from {} before taking part",
                self, settings.dataDir(), others, self);
        long nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!closed) {
            Map<String, IdentityCheck.Answer> answers = new HashMap<>();
            for (String peer : others) {
                transport.askAboutMe(peer).ifPresent(a -> answers.put(peer, a));
            }
            switch (IdentityCheck.decide(others, answers)) {
                case CONFIRMED -> {
                    try {
                        IdentityCheck.clear(settings.dataDir());
                    } catch (IOException e) {
                        identityProblem = "cannot clear the new-directory marker in " + settings.dataDir() + ": " + e;
                        log.error("{}: {}", self, identityProblem);
                        return;
                    }
                    confirmed = true;
                    log.info("{}: no member ever heard from {}: taking part", self, self);
                    return;
                }
                case REPLACED -> {
                    List<String> knew = answers.entrySet().stream().filter(e -> e.getValue().heardFromYou())
                            .map(Map.Entry::getKey).sorted().toList();
                    identityProblem = "this data directory is new, but " + knew + " heard from member " + self
                            + " before: its earlier data directory was lost, so it stays out of the cluster (what it"
                            + " acknowledged before the loss may have counted toward a majority). Restart this node:"
                            + " it empties this directory, which never took part, and joins as a new member";
                    log.error("{}: {}", self, identityProblem);
                    try {
                        IdentityCheck.markReplaced(settings.dataDir());
                    } catch (IOException e) {
                        log.error("{}: cannot mark {} as replaced: {}", self, settings.dataDir(), e.toString());
                    }
                    return;
                }
                case WAIT -> {
                    if (System.nanoTime() > nextLog) {
                        nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        List<String> missing = others.stream().filter(o -> !answers.containsKey(o)).toList();
                        log.info("{}: new data directory: waiting for {} to answer before taking part", self, missing);
                    }
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- peer side

    public void receive(List<Message> messages) {
        if (confirmed) {
            loop.submit(d -> messages.forEach(d::step));
        }
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
        if (confirmed) {
            loop.tick();
        }
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
        snapshotSaver.close();
        try {
            DurableStorage.close(storage);
        } catch (StorageFailedException e) {
            log.warn("{}: closing storage: {}", settings.id(), e.toString());
        }
        log.info("{}: stopped", settings.id());
    }
}
