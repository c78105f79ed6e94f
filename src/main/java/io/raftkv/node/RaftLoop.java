package io.raftkv.node;

import io.raftkv.kv.WriteResult;
import io.raftkv.raft.Message;
import io.raftkv.raft.NotLeaderException;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one thread that owns the {@link RaftNode}. Everything else talks to it by submitting tasks;
 * nothing locks the node. Each turn runs every queued task (ticks, peer messages, proposals,
 * reads), then carries out the Ready: leader replication leaves at once, the Ready is made durable,
 * then the rest is sent and committed entries go to the {@link ApplyLoop}. Tasks that arrive during
 * an fsync are handled together in the next turn, which is what batches proposals into one append
 * and one fsync under load.
 */
final class RaftLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RaftLoop.class);
    private static final int MAX_TASKS_PER_TURN = 10_000;

    /** Where outgoing messages go; the peer transport, or a fake in tests. */
    interface Outbox {
        void send(Message m);
    }

    private final RaftNode raft;
    private final RaftStorage storage;
    private final Outbox outbox;
    private final ApplyLoop apply;
    private final Proposals proposals;
    private final StatusBoard board;
    private final NodeMetrics metrics;
    private final long trailingEntries;
    private final BlockingQueue<Consumer<RaftNode>> inbox = new LinkedBlockingQueue<>();
    private final Map<Long, CompletableFuture<Void>> pendingReads = new HashMap<>();
    private final ArrayDeque<long[]> uncommitted = new ArrayDeque<>();
    private long readSeq;
    private long readyIndex;
    private String lastLeader;
    private Role lastRole = Role.FOLLOWER;
    private volatile boolean running = true;
    private volatile String failure;

    RaftLoop(RaftNode raft, RaftStorage storage, Outbox outbox, ApplyLoop apply, Proposals proposals,
             StatusBoard board, NodeMetrics metrics, long trailingEntries) {
        this.raft = raft;
        this.storage = storage;
        this.outbox = outbox;
        this.apply = apply;
        this.proposals = proposals;
        this.board = board;
        this.metrics = metrics;
        this.trailingEntries = trailingEntries;
    }

    // ---------------------------------------------------------------- called from other threads

    void submit(Consumer<RaftNode> task) {
        if (failure != null || !running) {
            answerUnrun(task);
            return;
        }
        inbox.add(task);
        if (failure != null || !running) {
            // The loop stopped between the check and the add: it will not drain this task, so answer it here.
            answerQueued();
        }
    }

    /**
     * A client's task that the loop may drop unrun (after a failure or on shutdown): it must still be
     * answered, with "this node is unavailable", which is true because nothing of it was proposed.
     */
    private interface ClientTask extends Consumer<RaftNode> {
        void reject(RuntimeException cause);
    }

    private static void answerUnrun(Consumer<RaftNode> task, RuntimeException cause) {
        if (task instanceof ClientTask c) {
            c.reject(cause);
        }
    }

    private void answerUnrun(Consumer<RaftNode> task) {
        answerUnrun(task, unavailable());
    }

    private void answerQueued() {
        Consumer<RaftNode> t;
        while ((t = inbox.poll()) != null) {
            answerUnrun(t);
        }
    }

    void tick() {
        submit(RaftNode::tick);
    }

    void step(List<Message> messages) {
        submit(r -> messages.forEach(r::step));
    }

    CompletableFuture<WriteResult> propose(byte[] command) {
        return propose(command, Backpressure.Ticket.NONE);
    }

    /** Proposes an admitted write; {@code ticket} is released when its fate is settled, whichever way. */
    CompletableFuture<WriteResult> propose(byte[] command, Backpressure.Ticket ticket) {
        CompletableFuture<WriteResult> f = new CompletableFuture<>();
        submit(new ClientTask() {
            @Override
            public void accept(RaftNode r) {
                try {
                    Proposal p = r.propose(command);
                    proposals.register(p, f, ticket);
                    uncommitted.addLast(new long[] {p.index(), System.nanoTime()});
                } catch (NotLeaderException e) {
                    reject(e);
                } catch (RuntimeException e) {
                    // The loop fails on this; the write was not registered, so answer it here.
                    reject(new NodeUnavailableException("proposing the write failed: " + e, e));
                    throw e;
                }
            }

            @Override
            public void reject(RuntimeException cause) {
                ticket.release();
                f.completeExceptionally(cause);
            }
        });
        return f;
    }

    /** Completes once this node, as leader, has confirmed its leadership and applied everything committed before. */
    CompletableFuture<Void> readBarrier() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        submit(new ClientTask() {
            @Override
            public void accept(RaftNode r) {
                long id = ++readSeq;
                try {
                    r.readIndex(id);
                    pendingReads.put(id, f);
                } catch (NotLeaderException e) {
                    reject(e);
                }
            }

            @Override
            public void reject(RuntimeException cause) {
                f.completeExceptionally(cause);
            }
        });
        return f;
    }

    /** Hands leadership to the most up-to-date follower; completes with its id, or null if this node does not lead. */
    CompletableFuture<String> transferToBestFollower() {
        CompletableFuture<String> f = new CompletableFuture<>();
        submit(r -> {
            if (r.role() != Role.LEADER || r.membership().voters().size() < 2) {
                f.complete(null);
                return;
            }
            String best = null;
            long bestMatch = -1;
            for (Map.Entry<String, Long> e : r.matchIndexes().entrySet()) {
                if (!e.getKey().equals(r.id()) && e.getValue() > bestMatch) {
                    best = e.getKey();
                    bestMatch = e.getValue();
                }
            }
            r.transferLeadership(best);
            f.complete(best);
        });
        return f;
    }

    /** A snapshot the apply loop took: saved and the log compacted here, so only this thread writes storage. */
    void snapshotTaken(Snapshot snapshot) {
        submit(r -> {
            Snapshot latest = storage.snapshots().latest();
            if (latest == null || snapshot.index() > latest.index()) {
                try {
                    storage.compactTo(snapshot, trailingEntries);
                } catch (RuntimeException e) {
                    fail("saving a snapshot failed", e);
                }
            }
        });
    }

    /** Stops the node from another thread (the apply loop failed): handled on the loop thread like any failure. */
    void halt(String what, Throwable cause) {
        inbox.add(r -> fail(what, cause));
    }

    void stop() {
        running = false;
        inbox.add(r -> { });
    }

    String failure() {
        return failure;
    }

    // ---------------------------------------------------------------- the loop

    @Override
    public void run() {
        publish();
        try {
            while (running) {
                Consumer<RaftNode> task = inbox.poll(100, TimeUnit.MILLISECONDS);
                int n = 0;
                while (task != null && running) {
                    task.accept(raft);
                    task = ++n < MAX_TASKS_PER_TURN ? inbox.poll() : null;
                }
                while (running && raft.prepareReady()) {
                    handleReady(raft.ready());
                }
                publish();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            fail("the Raft loop failed", t);
        }
        running = false;
        answerQueued();
        pendingReads.values().forEach(f -> f.completeExceptionally(unavailable()));
        pendingReads.clear();
    }

    private void handleReady(Ready rd) {
        for (Message m : rd.messages()) {
            if (m.sendableBeforePersist()) {
                outbox.send(m);
            }
        }
        if (rd.mustPersist()) {
            long start = System.nanoTime();
            try {
                storage.persist(rd);
            } catch (RuntimeException e) {
                fail("writing to storage failed; this node stops rather than risk acknowledging what it did not keep", e);
                return;
            }
            metrics.persisted(System.nanoTime() - start);
        }
        for (Message m : rd.messages()) {
            if (!m.sendableBeforePersist()) {
                outbox.send(m);
            }
        }
        if (rd.snapshot() != null) {
            apply.restore(rd.snapshot());
        }
        if (!rd.committedEntries().isEmpty()) {
            apply.apply(rd.committedEntries());
        }
        for (ReadState rs : rd.readStates()) {
            CompletableFuture<Void> f = pendingReads.remove(rs.requestId());
            if (f != null) {
                apply.awaitApplied(rs.index(), f);
            }
        }
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        }
        raft.advance(rd);
        long commit = raft.commitIndex();
        long now = System.nanoTime();
        while (!uncommitted.isEmpty() && uncommitted.peekFirst()[0] <= commit) {
            metrics.committed(now - uncommitted.pollFirst()[1]);
        }
    }

    private void onSoftState(SoftState s) {
        if (lastRole == Role.LEADER && s.role() != Role.LEADER) {
            log.info("{} stopped leading in term {} (now {} in term {}, leader {})", raft.id(), raft.term(), s.role(), s.term(), s.leader());
            proposals.leadershipLost();
            uncommitted.clear();
            pendingReads.values().forEach(f -> f.completeExceptionally(new NotLeaderException(s.leader(), "leadership lost")));
            pendingReads.clear();
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

    private void publish() {
        board.publish(new NodeStatus(raft.id(), raft.role(), raft.term(), raft.leader(), raft.leaderRecentlyHeard(),
                raft.commitIndex(),
                apply.appliedIndex(), raft.lastIndex(), raft.firstIndex(), Math.max(readyIndex, 0), raft.membership(),
                failure));
    }

    private void fail(String what, Throwable cause) {
        log.error("{}: {}", what, cause.toString(), cause);
        failure = what + ": " + describe(cause);
        running = false;
        NodeUnavailableException e = unavailable();
        // A pending write may already be on a majority and commit without this node: its outcome is
        // unknown, not "failed" (only reads and writes never proposed are safe to call unavailable).
        proposals.failAll(new WriteOutcomeUnknownException("this node stopped (" + failure
                + ") before it knew whether the write committed; it may or may not be applied"));
        pendingReads.values().forEach(f -> f.completeExceptionally(e));
        pendingReads.clear();
        // Nothing more is stepped on a node whose durability is in doubt; client tasks still get an answer.
        answerQueued();
        publish();
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

    private NodeUnavailableException unavailable() {
        return new NodeUnavailableException(failure == null ? "this node is shutting down"
                : "this node has stopped: " + failure, null);
    }
}
