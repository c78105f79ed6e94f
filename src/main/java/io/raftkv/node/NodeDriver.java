package io.raftkv.node;

import io.raftkv.raft.Membership;
import io.raftkv.raft.MembershipChangeException;
import io.raftkv.raft.Message;
import io.raftkv.raft.NotLeaderException;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Proposal;
import io.raftkv.raft.RaftNode;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.ReadState;
import io.raftkv.raft.Ready;
import io.raftkv.raft.Role;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SoftState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The node's own logic around the Raft core, with no threads, sockets or clock of its own: it carries
 * out each {@link Ready} in the order Raft requires (leader replication first, then persist, then
 * the other messages and the committed entries), holds the pending writes and reads and gives each
 * its answer, saves the snapshots the applier takes, hands leadership over on stop, and stops the
 * node when storage fails. The production node runs it on the Raft thread ({@link RaftLoop}); the
 * simulator, the paper tests and the dissertation tests step it directly, so the rules clients rely
 * on are checked on this code.
 *
 * <p>The answers, and what each promises:
 * <ul>
 *   <li>a write: its result once applied here with its term; {@link NotLeaderException} or
 *       {@link NodeUnavailableException} when it was never proposed (safe to retry);
 *       {@link WriteNotAppliedException} when another entry took its slot; {@link WriteOutcomeUnknownException}
 *       when it was proposed and this node can no longer tell (see {@link Proposals});</li>
 *   <li>a read barrier: completes once leadership was confirmed and the read index is applied (on a
 *       follower, the leader's read index); otherwise {@link NotLeaderException} or
 *       {@link NodeUnavailableException} (a read has no effect).</li>
 * </ul>
 * Once stopped or failed the driver answers every new request at once and ignores the network.
 *
 * <p>Concurrency: not thread-safe. One thread at a time calls it; inputs ({@link #tick}, {@link #step},
 * {@link #propose}, ...) are followed by {@link #process()}, which carries out what they caused.
 */
public final class NodeDriver<R> {
    private static final Logger log = LoggerFactory.getLogger(NodeDriver.class);

    /** Observation points inside {@link #process()}, for the simulator's invariant checks and crash injection. */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        /** Throwing here (an {@link Error}) models a crash after the early messages left, before anything was persisted. */
        default void beforePersist(Ready rd) {
        }

        default void afterPersist(Ready rd) {
        }

        default void afterAdvance(Ready rd) {
        }
    }

    private final RaftNode raft;
    private final RaftStorage storage;
    private final Outbox outbox;
    private final Applier applier;
    private final Proposals<R> proposals;
    private final NodeMetrics metrics;
    private final Clock clock;
    private final long trailingEntries;
    private final Observer observer;
    private final SnapshotSaver saver;
    private final Map<Long, CompletableFuture<Void>> pendingReads = new HashMap<>();
    /** Index and proposal time of this leader's entries not yet known committed, for the commit latency. */
    private final ArrayDeque<long[]> uncommitted = new ArrayDeque<>();
    /** The newest snapshot the applier took that is not yet handed to the saver. */
    private Snapshot toSave;
    /** The snapshot the saver holds, until it reports back; null when none. */
    private Snapshot saving;
    /** Compaction may have left segments of compacted entries on disk: each tick deletes one. */
    private boolean logToTidy;
    private long readSeq;
    private long readyIndex;
    private String lastLeader;
    private Role lastRole = Role.FOLLOWER;
    private boolean stopped;
    private String failure;
    private Throwable failureCause;

    /**
     * @param trailingEntries log entries kept behind a snapshot, so a slightly lagging follower
     *                        catches up from the log rather than by a snapshot transfer
     */
    public NodeDriver(RaftNode raft, RaftStorage storage, Outbox outbox, Applier applier, Proposals<R> proposals,
                      NodeMetrics metrics, Clock clock, long trailingEntries, Observer observer) {
        this(raft, storage, outbox, applier, proposals, metrics, clock, trailingEntries, observer,
                SnapshotSaver.inline(storage.snapshots()));
    }

    /** @param saver saves the snapshots the applier takes; the log is compacted when it reports back */
    public NodeDriver(RaftNode raft, RaftStorage storage, Outbox outbox, Applier applier, Proposals<R> proposals,
                      NodeMetrics metrics, Clock clock, long trailingEntries, Observer observer, SnapshotSaver saver) {
        this.saver = saver;
        this.raft = raft;
        this.storage = storage;
        this.outbox = outbox;
        this.applier = applier;
        this.proposals = proposals;
        this.metrics = metrics;
        this.clock = clock;
        this.trailingEntries = trailingEntries;
        this.observer = observer;
    }

    // ---------------------------------------------------------------- inputs

    /** One tick of Raft's clock; also runs out the step-down grace of pending writes. */
    public void tick() {
        if (live()) {
            guard("the Raft core failed on a tick", raft::tick);
            proposals.expireGrace();
            if (logToTidy) {
                guard("deleting a compacted log segment failed", () -> timedCompaction(() -> logToTidy = storage.tidyLog()));
            }
        }
    }

    /**
     * Steps a peer's message. The first message from each sender is recorded durably before it can
     * count for anything (see {@link io.raftkv.raft.StableStore#contacts}).
     */
    public void step(Message m) {
        if (live()) {
            guard("recording a new contact failed", () -> {
                if (!storage.stable().contacts().contains(m.from())) {
                    storage.stable().addContact(m.from());
                }
            });
            if (live()) {
                guard("the Raft core failed on a message", () -> raft.step(m));
            }
        }
    }

    public void reportUnreachable(String peer) {
        if (live()) {
            guard("the Raft core failed on a report", () -> raft.reportUnreachable(peer));
        }
    }

    /** {@code peer}'s process looks gone ({@link PeerProbe}): a follower of it campaigns without waiting out the timeout. */
    public void reportGone(String peer) {
        if (live()) {
            guard("the Raft core failed on a report", () -> raft.peerGone(peer));
        }
    }

    public void reportSnapshot(String peer, boolean delivered) {
        if (live()) {
            guard("the Raft core failed on a report", () -> raft.reportSnapshot(peer, delivered));
        }
    }

    public CompletableFuture<R> propose(byte[] command) {
        CompletableFuture<R> answer = new CompletableFuture<>();
        propose(command, Backpressure.Ticket.NONE, answer);
        return answer;
    }

    /** Proposes a write; {@code ticket} is released when {@code answer} is given, whichever way. */
    void propose(byte[] command, Backpressure.Ticket ticket, CompletableFuture<R> answer) {
        if (!live()) {
            ticket.release();
            answer.completeExceptionally(unavailable());
            return;
        }
        Proposal p;
        try {
            p = raft.propose(command);
        } catch (NotLeaderException e) {
            ticket.release();
            answer.completeExceptionally(e);
            return;
        } catch (RuntimeException e) {
            ticket.release();
            answer.completeExceptionally(new NodeUnavailableException("proposing the write failed: " + e, e));
            fail("the Raft core failed on a proposal", e);
            return;
        }
        proposals.register(p, answer, ticket);
        uncommitted.addLast(new long[] {p.index(), clock.nanos()});
    }

    /**
     * Proposes the membership {@code change} makes of the current one (computed here, on the Raft
     * thread, so it never applies to a stale view). {@code answer} is given as a write's is: with a
     * null result once the change is applied here, or exceptionally; it fails at once with
     * {@link NotLeaderException} or {@link MembershipChangeException} (also when {@code change}
     * refuses the current membership).
     */
    public void proposeMembership(UnaryOperator<Membership> change, CompletableFuture<R> answer) {
        if (!live()) {
            answer.completeExceptionally(unavailable());
            return;
        }
        Proposal p;
        try {
            p = raft.proposeMembership(change.apply(raft.membership()));
        } catch (NotLeaderException | MembershipChangeException e) {
            answer.completeExceptionally(e);
            return;
        } catch (IllegalArgumentException e) {
            answer.completeExceptionally(new MembershipChangeException(false, e.getMessage()));
            return;
        } catch (RuntimeException e) {
            answer.completeExceptionally(new NodeUnavailableException("proposing the membership change failed: " + e, e));
            fail("the Raft core failed on a membership change", e);
            return;
        }
        proposals.register(p, answer, Backpressure.Ticket.NONE);
        uncommitted.addLast(new long[] {p.index(), clock.nanos()});
    }

    boolean membershipChangePending() {
        return live() && raft.membershipChangePending();
    }

    /** The members with their replication progress; empty unless this node leads. */
    List<MemberView> members() {
        if (!live() || raft.role() != Role.LEADER) {
            return List.of();
        }
        Map<String, Long> match = raft.matchIndexes();
        Set<String> active = raft.recentlyActive();
        long last = raft.lastIndex();
        List<MemberView> out = new ArrayList<>();
        for (String id : raft.membership().memberIds()) {
            long m = match.getOrDefault(id, 0L);
            out.add(new MemberView(id, Peer.nameOf(id), raft.membership().peer(id).map(Peer::address).orElse(""),
                    raft.membership().isVoter(id), m, Math.max(0, last - m), id.equals(raft.id()) || active.contains(id)));
        }
        return out;
    }

    /**
     * Asks for a linearizable read: {@code answer} completes when local state may be read (see the class
     * comment). On a follower the leader confirms the read index and this node waits until it has applied it.
     */
    public void read(CompletableFuture<Void> answer) {
        if (!live()) {
            answer.completeExceptionally(unavailable());
            return;
        }
        long id = ++readSeq;
        try {
            raft.readIndex(id);
        } catch (NotLeaderException e) {
            answer.completeExceptionally(e);
            return;
        } catch (RuntimeException e) {
            answer.completeExceptionally(unavailable());
            fail("the Raft core failed on a read", e);
            return;
        }
        pendingReads.put(id, answer);
    }

    /** Asks the core to hand leadership to {@code target} (dissertation §3.10); ignored once the driver has ended. */
    public void transferLeadership(String target) {
        if (live()) {
            try {
                raft.transferLeadership(target);
            } catch (NotLeaderException | IllegalArgumentException e) {
                log.info("{}: not handing leadership to {}: {}", raft.id(), target, e.getMessage());
            } catch (RuntimeException e) {
                fail("the Raft core failed on a leadership transfer", e);
            }
        }
    }

    /** Hands leadership to the most up-to-date follower; returns its id, or null if this node does not lead. */
    public String transferToBestFollower() {
        if (!live() || raft.role() != Role.LEADER || raft.membership().voters().size() < 2) {
            return null;
        }
        String best = null;
        long bestMatch = -1;
        for (Map.Entry<String, Long> e : raft.matchIndexes().entrySet()) {
            if (!e.getKey().equals(raft.id()) && raft.membership().isVoter(e.getKey()) && e.getValue() > bestMatch) {
                best = e.getKey();
                bestMatch = e.getValue();
            }
        }
        transferLeadership(best);
        return best;
    }

    /**
     * A snapshot the applier took: saved, and the log compacted, at the end of the next {@link #process()}.
     * One taken while the one before is still being saved is let go, and the applier takes another
     * after its next interval: a captured state holds on to the values replaced since, so keeping a
     * second one could hold a third copy of them beside the state and the snapshot being written.
     */
    public void snapshotTaken(Snapshot snapshot) {
        if (saving != null) {
            return;
        }
        if (toSave == null || snapshot.index() > toSave.index()) {
            toSave = snapshot;
        }
    }

    // ---------------------------------------------------------------- carrying out

    /** Carries out every Ready the inputs so far produced, then saves a pending snapshot. */
    public void process() {
        try {
            while (live() && raft.prepareReady()) {
                handleReady(raft.ready());
            }
            saveSnapshot();
        } catch (RuntimeException e) {
            fail("the Raft loop failed", e);
        }
    }

    private void handleReady(Ready rd) {
        for (Message m : rd.messages()) {
            if (m.sendableBeforePersist()) {
                outbox.send(m);
            }
        }
        observer.beforePersist(rd);
        if (rd.mustPersist()) {
            long start = clock.nanos();
            try {
                storage.persist(rd);
            } catch (RuntimeException e) {
                fail("writing to storage failed; this node stops rather than risk acknowledging what it did not keep", e);
                return;
            }
            metrics.persisted(clock.nanos() - start);
        }
        observer.afterPersist(rd);
        for (Message m : rd.messages()) {
            if (!m.sendableBeforePersist()) {
                outbox.send(m);
            }
        }
        if (rd.snapshot() != null) {
            applier.restore(rd.snapshot());
        }
        if (!rd.committedEntries().isEmpty()) {
            applier.apply(rd.committedEntries());
        }
        for (ReadState rs : rd.readStates()) {
            CompletableFuture<Void> f = pendingReads.remove(rs.requestId());
            if (f != null) {
                applier.whenApplied(rs.index(), f);
            }
        }
        for (long id : rd.failedReads()) {
            CompletableFuture<Void> f = pendingReads.remove(id);
            if (f != null) {
                // Retrying is safe (a read changes nothing) and NotLeaderException is what routes a request anew.
                f.completeExceptionally(new NotLeaderException(raft.leader(),
                        "the leader did not confirm the read: leadership changed or it did not answer in time"));
            }
        }
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        }
        raft.advance(rd);
        observer.afterAdvance(rd);
        long commit = raft.commitIndex();
        long now = clock.nanos();
        while (!uncommitted.isEmpty() && uncommitted.peekFirst()[0] <= commit) {
            metrics.committed(now - uncommitted.pollFirst()[1]);
        }
    }

    private void onSoftState(SoftState s) {
        if (lastRole == Role.LEADER && s.role() != Role.LEADER) {
            log.info("{} stopped leading in term {} (now {} in term {}, leader {})", raft.id(), raft.term(), s.role(), s.term(), s.leader());
            proposals.leadershipLost();
            uncommitted.clear();
            failReads(new NotLeaderException(s.leader(), "leadership lost"));
        }
        if (s.role() == Role.LEADER && lastRole != Role.LEADER) {
            log.info("{} is the leader of term {}", raft.id(), s.term());
        }
        if (s.leader() != null && !s.leader().equals(lastLeader)) {
            metrics.leaderChanged();
            readyIndex = raft.commitIndex();
            log.info("{} follows leader {} in term {} (commit {})", raft.id(), s.leader(), s.term(), raft.commitIndex());
        } else if (s.leader() == null && lastLeader != null) {
            log.info("{} lost track of the leader in term {} ({})", raft.id(), s.term(), s.role());
        }
        lastLeader = s.leader();
        lastRole = s.role();
    }

    /** Hands the newest snapshot taken to the saver, unless it is still saving the one before. */
    private void saveSnapshot() {
        if (saving != null || toSave == null || !live()) {
            return;
        }
        Snapshot snapshot = toSave;
        toSave = null;
        saving = snapshot;
        saver.save(snapshot, failure -> snapshotSaved(snapshot, failure));
    }

    /**
     * The saver is done with {@code snapshot}: the log before it goes (unless a newer snapshot from the
     * leader reset the log meanwhile), and the next snapshot taken may be saved.
     */
    private void snapshotSaved(Snapshot snapshot, RuntimeException failure) {
        if (saving != snapshot) {
            return;
        }
        saving = null;
        if (!live()) {
            return;
        }
        if (failure != null) {
            fail("saving a snapshot failed", failure);
            return;
        }
        try {
            timedCompaction(() -> storage.compactLog(snapshot.index(), trailingEntries));
            // Segments past the first wait for the next ticks, one each (see DurableLogStore.tidy).
            logToTidy = true;
        } catch (RuntimeException e) {
            fail("compacting the log after a snapshot failed", e);
            return;
        }
        saveSnapshot();
    }

    /** Runs a step of log compaction, which holds this (the Raft) thread, timing it for {@code raft.log.compaction}. */
    private void timedCompaction(Runnable step) {
        long start = clock.nanos();
        step.run();
        metrics.logCompacted(clock.nanos() - start);
    }

    // ---------------------------------------------------------------- ending

    /**
     * Stops the node for good: every pending write is answered "outcome unknown" (it may commit
     * without this node) and every pending read "unavailable"; later requests are answered at once.
     */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        answerAllPending("this node shut down");
    }

    /**
     * Stops the node because something it depends on failed (storage, the apply side): nothing more
     * is stepped on a node whose durability is in doubt, and every request gets an honest answer.
     */
    public void fail(String what, Throwable cause) {
        if (failure != null) {
            return;
        }
        log.error("{}: {}: {}", raft.id(), what, cause.toString(), cause);
        failure = what + ": " + describe(cause);
        failureCause = cause;
        answerAllPending("this node stopped (" + failure + ")");
    }

    /**
     * A pending write may already be on a majority and commit without this node: its outcome is
     * unknown, not "failed" (only reads and writes never proposed are safe to call unavailable).
     */
    private void answerAllPending(String what) {
        proposals.failAll(new WriteOutcomeUnknownException(
                what + " before it knew whether the write committed; it may or may not be applied"));
        failReads(unavailable());
    }

    private void guard(String what, Runnable input) {
        try {
            input.run();
        } catch (RuntimeException e) {
            fail(what, e);
        }
    }

    private void failReads(RuntimeException cause) {
        pendingReads.values().forEach(f -> f.completeExceptionally(cause));
        pendingReads.clear();
    }

    private boolean live() {
        return !stopped && failure == null;
    }

    private NodeUnavailableException unavailable() {
        return new NodeUnavailableException(failure == null ? "this node is shutting down"
                : "this node has stopped: " + failure, null);
    }

    /** Each distinct message down the cause chain, so health shows the root cause (say, a full disk). */
    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            if (sb.indexOf(m) < 0) {
                sb.append(sb.isEmpty() ? "" : ": ").append(m);
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- observation

    /** What health, metrics, {@code /cluster} and request routing see; published by the caller after each turn. */
    public NodeStatus status() {
        return new NodeStatus(raft.id(), raft.role(), raft.term(), raft.leader(), raft.leaderRecentlyHeard(),
                raft.commitIndex(), applier.appliedIndex(), raft.lastIndex(), raft.firstIndex(), Math.max(readyIndex, 0),
                raft.membership(), failure);
    }

    /** Why the node stopped serving, or null. */
    public String failure() {
        return failure;
    }

    public Throwable failureCause() {
        return failureCause;
    }
}
