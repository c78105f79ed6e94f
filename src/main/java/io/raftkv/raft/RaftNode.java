package io.raftkv.raft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * One Raft participant as a pure state machine (the etcd/raft design).
 *
 * <p>The driver feeds it {@link #tick()}s, {@link #step(Message) messages}, {@link #propose
 * proposals} and {@link #readIndex reads}, then collects a {@link Ready}, carries it out, and calls
 * {@link #advance(Ready)}. Nothing here blocks, sleeps, reads a clock or does I/O other than reading
 * the log through {@link LogStore}. Only one thread may use an instance.
 */
public final class RaftNode {
    /** Committed entries handed out per Ready, so a node far behind applies in bounded steps. */
    private static final long MAX_APPLY_BYTES = 64L << 20;

    /**
     * Ticks between the campaigns of followers that saw their leader's process die ({@link #peerGone}):
     * room for the news to reach them all, and then for one pre-vote round.
     */
    static final int GONE_CAMPAIGN_STRIDE_TICKS = 3;

    private final RaftConfig cfg;
    private final String id;
    private final Random random;
    private final RaftLog log;

    private long term;
    private String votedFor;
    private Role role = Role.FOLLOWER;
    private String leader;
    private Membership membership;
    /** Index of the log entry (or snapshot) {@link #membership} comes from. */
    private long membershipIndex;

    /** Leader only: replication state per member (voters and learners), this node included. */
    private final Map<String, Progress> progress = new LinkedHashMap<>();
    private final Map<String, Boolean> votes = new HashMap<>();

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    /** Whether this node restarted its election timer for another's pre-vote since it last heard from a leader. */
    private boolean stoodAside;
    private String transferee;

    /** ReadIndex (§6.4): reads waiting for a heartbeat round to confirm leadership. */
    private final ReadIndexQueue reads = new ReadIndexQueue();
    /** Leader only: reads followers forwarded, by the (negative) handle they wait under in {@link #reads}. */
    private final Map<Long, ReadIndexRequest> forwardedToUs = new HashMap<>();
    private long lastForwardedHandle;
    /** Follower only: this node's reads sent to the leader, waiting for its read index. */
    private final ForwardedReads forwarded = new ForwardedReads();
    private final List<Long> failedReads = new ArrayList<>();

    private final List<Message> outbox = new ArrayList<>();
    private final List<ReadState> readStates = new ArrayList<>();
    /** Followers owed an AppendEntries even when no entries are waiting (a probe or a new commit index). */
    private final Set<String> appendOwed = new LinkedHashSet<>();

    private HardState lastHardState;
    private SoftState lastSoftState;
    private boolean readyOutstanding;

    public RaftNode(RaftConfig cfg, RaftStorage storage, Random random) {
        this.cfg = Objects.requireNonNull(cfg, "cfg");
        this.id = cfg.id();
        this.random = Objects.requireNonNull(random, "random");
        Snapshot snap = storage.snapshots().latest();
        if (snap == null) {
            throw new IllegalStateException("storage is not bootstrapped: it holds no snapshot and so no membership");
        }
        this.log = new RaftLog(storage.log(), storage.snapshots());
        if (log.firstIndex() - 1 > snap.index()) {
            throw new IllegalStateException("the log starts after " + (log.firstIndex() - 1)
                    + " but the newest snapshot ends at " + snap.index() + ": entries in between are lost");
        }
        HardState hs = storage.stable().load();
        this.term = hs.term();
        this.votedFor = hs.votedFor();
        this.membership = snap.metadata().membership();
        this.membershipIndex = snap.index();
        log.committed = snap.index();
        log.applied = snap.index();
        scanMembership(snap.index() + 1, log.lastIndex());
        becomeFollower(term, null);
        // Started knowing no leader: the first timeout is short (etcd's initial election tick advance).
        // A new cluster, or one restarted whole, elects as soon as a quorum is up instead of a whole
        // timeout later; in a running cluster the early pre-vote is refused by voters in their leader's
        // lease, changes no term, and the leader's next heartbeat is followed.
        electionElapsed = randomizedElectionTimeout - (cfg.heartbeatTicks() + random.nextInt(Math.max(1, cfg.electionTicks() / 2)));
        this.lastHardState = hs;
        this.lastSoftState = softState();
    }

    // ---------------------------------------------------------------- inputs

    /** One unit of logical time. Drives election timeouts, heartbeats and CheckQuorum. */
    public void tick() {
        checkNoReadyOutstanding();
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            tickElection();
        }
    }

    private void tickElection() {
        electionElapsed++;
        // A forwarded read whose request or answer was lost must not wait for ever; an election timeout
        // is the time a leader may take to notice it lost a majority, so waiting longer gains nothing.
        failedReads.addAll(forwarded.tick(cfg.electionTicks()));
        if (promotable() && electionElapsed >= randomizedElectionTimeout) {
            electionElapsed = 0;
            campaign(cfg.preVote() ? Campaign.PRE_ELECTION : Campaign.ELECTION);
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= cfg.electionTicks()) {
            electionElapsed = 0;
            if (cfg.checkQuorum()) {
                if (!quorumActive()) {
                    becomeFollower(term, null);
                    return;
                }
                progress.forEach((peer, pr) -> {
                    pr.activeRoundBefore = pr.recentActive;
                    pr.recentActive = peer.equals(id);
                });
            }
            if (transferee != null) {
                transferee = null; // the target did not take over within an election timeout
            }
        }
        for (Progress pr : progress.values()) {
            if (pr.state == Progress.State.SNAPSHOT && ++pr.snapshotElapsed >= cfg.snapshotTimeoutTicks()) {
                pr.becomeProbe();
            }
        }
        if (heartbeatElapsed >= cfg.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat();
        }
    }

    /** Starts an election now, as if the election timeout had passed (through PreVote when enabled). */
    public void campaign() {
        checkNoReadyOutstanding();
        if (role != Role.LEADER && promotable()) {
            electionElapsed = 0;
            campaign(cfg.preVote() ? Campaign.PRE_ELECTION : Campaign.ELECTION);
        }
    }

    /**
     * The transport's evidence that {@code peer}'s process is gone: a stream it held open was closed
     * from its side and a new connection was refused or went unanswered. A follower whose leader that
     * is stops waiting out the election timeout: it forgets the leader, which also ends its lease, so
     * it grants the pre-votes of others who saw the same, and campaigns itself after a wait set by its
     * place among the other voters ({@link #GONE_CAMPAIGN_STRIDE_TICKS} for the first, as many more for
     * each next one). Every survivor learns of the death within milliseconds of the others: the first
     * wait lets them all hear of it before a pre-vote asks them (one still in its leader's lease would
     * ignore it), and pre-candidates that start together split the vote; one at a time, the first
     * whose log is up to date wins, and a later one whose turn comes finds a leader.
     *
     * <p>Only a hint: it never makes a vote count for more. A false one costs a pre-vote that voters
     * still hearing from the leader refuse (their lease holds), and the leader's next heartbeat is
     * followed again. Nothing here changes the term or the log.
     */
    public void peerGone(String peer) {
        checkNoReadyOutstanding();
        if (role != Role.FOLLOWER || !peer.equals(leader)) {
            return;
        }
        leader = null;
        List<String> others = membership.ids().stream().filter(v -> !v.equals(peer)).sorted().toList();
        int wait = GONE_CAMPAIGN_STRIDE_TICKS * (1 + Math.max(0, others.indexOf(id)));
        electionElapsed = Math.max(electionElapsed, randomizedElectionTimeout - wait);
    }

    /** Feeds one message from a peer. */
    public void step(Message m) {
        checkNoReadyOutstanding();
        if (!id.equals(m.to())) {
            return;
        }
        if (membership.isRemoved(m.from())) {
            // A member taken out for good (or a data directory that came back after it was replaced)
            // must not vote, lead or raise anyone's term again.
            return;
        }
        if (m.term() > term) {
            if (m instanceof RequestVote rv) {
                boolean inLease = cfg.checkQuorum() && leader != null && electionElapsed < cfg.electionTicks();
                if (!rv.transfer() && inLease) {
                    // We heard from a live leader within the minimum election timeout: a vote request now
                    // comes from a node that cannot know better (partitioned, or just restarted). Ignoring
                    // it keeps one flaky node from deposing a healthy leader (dissertation §4.2.3).
                    return;
                }
            }
            if (m instanceof RequestVote rv && rv.preVote()) {
                // A pre-vote never changes our term.
            } else if (m instanceof RequestVoteResponse r && r.preVote() && r.granted()) {
                // A granted pre-vote echoes the term we asked about, which is not a real term yet.
            } else {
                boolean fromLeader = m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot;
                becomeFollower(m.term(), fromLeader ? m.from() : null);
            }
        } else if (m.term() < term) {
            if ((cfg.checkQuorum() || cfg.preVote()) && (m instanceof AppendEntries || m instanceof Heartbeat)) {
                // A leader cut off long enough for the rest to move on keeps its old term; with PreVote it
                // could never learn the new one (its own elections cannot win). Tell it.
                send(new AppendEntriesResponse(id, m.from(), term, false, 0, 0, 0));
            } else if (m instanceof RequestVote rv && rv.preVote()) {
                send(new RequestVoteResponse(id, m.from(), term, false, true));
            }
            return;
        }

        if (m instanceof RequestVote rv) {
            handleVoteRequest(rv);
            return;
        }
        switch (role) {
            case LEADER -> stepLeader(m);
            case CANDIDATE, PRE_CANDIDATE -> stepCandidate(m);
            case FOLLOWER -> stepFollower(m);
        }
    }

    /**
     * Appends a command to the leader's log. The caller learns the outcome from the entry applied at
     * the returned index: this proposal committed exactly when that entry has the returned term.
     *
     * @throws NotLeaderException when this node is not the leader, or is handing leadership over
     */
    public Proposal propose(byte[] command) {
        return propose(List.of(command)).get(0);
    }

    /** Appends several commands at once; they travel together to the followers. */
    public List<Proposal> propose(List<byte[]> commands) {
        checkNoReadyOutstanding();
        requireLeaderAcceptingWrites();
        if (commands.isEmpty()) {
            return List.of(); // the log and the membership scan both assume a batch has a first entry
        }
        List<Entry> entries = new ArrayList<>(commands.size());
        List<Proposal> out = new ArrayList<>(commands.size());
        long index = log.lastIndex();
        for (byte[] c : commands) {
            index++;
            entries.add(Entry.command(index, term, c));
            out.add(new Proposal(index, term));
        }
        appendAsLeader(entries);
        return out;
    }

    /**
     * Proposes the next membership. It takes effect as soon as it is in the log (dissertation §4.1).
     * Only one change may be uncommitted at a time, each adds or removes at most one voter so any old
     * and new majority overlap, and none may be proposed before an entry of this leader's term has
     * committed: without that, a change by a new leader could overlap an uncommitted change of an
     * earlier leader and elect two leaders in one term (the fix to §4.1 in the dissertation's errata).
     *
     * @throws NotLeaderException when this node is not the leader, or is handing leadership over
     * @throws MembershipChangeException when a change is under way, or {@code next} is not one safe step
     */
    public Proposal proposeMembership(Membership next) {
        checkNoReadyOutstanding();
        requireLeaderAcceptingWrites();
        if (!committedInCurrentTerm()) {
            throw new MembershipChangeException(true, "this leader has not yet committed an entry of its term " + term);
        }
        if (membershipIndex > log.committed) {
            throw new MembershipChangeException(true, "the membership change at index " + membershipIndex + " is not committed yet");
        }
        String why = membership.whyNotNext(next);
        if (why != null) {
            throw new MembershipChangeException(false, why);
        }
        requirePromotedCaughtUp(next);
        long index = log.lastIndex() + 1;
        appendAsLeader(List.of(new Entry(index, term, EntryType.MEMBERSHIP, next.encode())));
        return new Proposal(index, term);
    }

    /**
     * A learner becomes a voter only while it keeps up: at most {@code promotionMaxLag} entries behind
     * this leader's log and heard from within the last election timeout. Promoting one that is behind
     * makes every commit wait for it, and with one other voter down there is no quorum at all until
     * it has caught up (etcd refuses the same way).
     */
    private void requirePromotedCaughtUp(Membership next) {
        for (String id : next.ids()) {
            if (!membership.isLearner(id)) {
                continue;
            }
            Progress pr = progress.get(id);
            long lag = pr == null ? log.lastIndex() : log.lastIndex() - pr.match;
            if (pr == null || lag > cfg.promotionMaxLag() || !pr.heardLately()) {
                throw new MembershipChangeException(true, "learner " + id + " is " + lag + " entries behind the leader"
                        + (pr != null && pr.heardLately() ? "" : " and has not answered lately")
                        + "; it can be promoted once it has caught up (within " + cfg.promotionMaxLag() + " entries)");
            }
        }
    }

    /** Whether a membership change is in the log but not yet committed. */
    public boolean membershipChangePending() {
        return membershipIndex > log.committed;
    }

    /**
     * Starts a linearizable read (§6.4). Once a heartbeat round confirms this node is still leader, a
     * {@link ReadState} with the same {@code requestId} appears in a Ready: the read may be served when
     * the state machine has applied its index. A follower forwards the read to its leader, which confirms
     * it the same way and answers with its read index; if that answer cannot come (the term or the leader
     * changes, or an election timeout passes), the request id appears in {@link Ready#failedReads()}.
     *
     * @param requestId positive, and unique among this node's reads in flight
     * @throws NotLeaderException when this node is neither the leader nor a follower that knows one
     */
    public void readIndex(long requestId) {
        checkNoReadyOutstanding();
        if (requestId <= 0) {
            throw new IllegalArgumentException("a read's request id must be positive, not " + requestId);
        }
        if (role == Role.FOLLOWER && leader != null) {
            forwarded.add(requestId, leader, term);
            send(new ReadIndexRequest(id, leader, term, requestId));
            return;
        }
        if (role != Role.LEADER) {
            throw new NotLeaderException(leader, "not the leader, and no leader is known to confirm a read");
        }
        startRead(requestId);
    }

    private void startRead(long handle) {
        if (!committedInCurrentTerm()) {
            // Until the no-op of this term commits, our commit index may lag the true one (§6.4 step 1).
            reads.park(handle);
            return;
        }
        queueRead(handle);
    }

    /**
     * Hands leadership to {@code target} (dissertation §3.10): stop taking proposals, bring the target
     * up to date, then tell it to start an election at once. Gives up after an election timeout.
     */
    public void transferLeadership(String target) {
        checkNoReadyOutstanding();
        if (role != Role.LEADER) {
            throw new NotLeaderException(leader, "not the leader");
        }
        if (target.equals(id)) {
            return;
        }
        if (!membership.isVoter(target)) {
            throw new IllegalArgumentException(target + " is not a voter");
        }
        if (target.equals(transferee)) {
            return;
        }
        transferee = target;
        electionElapsed = 0;
        Progress pr = progress.get(target);
        if (pr.match == log.lastIndex()) {
            send(new TimeoutNow(id, target, term));
        } else {
            appendOwed.add(target);
        }
    }

    /** The transport could not reach {@code peer}: stop pipelining to it and probe instead. */
    public void reportUnreachable(String peer) {
        checkNoReadyOutstanding();
        Progress pr = progress.get(peer);
        if (role == Role.LEADER && pr != null && pr.state == Progress.State.REPLICATE) {
            pr.becomeProbe();
        }
    }

    /** The transport finished (or gave up) sending a snapshot to {@code peer}. */
    public void reportSnapshot(String peer, boolean delivered) {
        checkNoReadyOutstanding();
        Progress pr = progress.get(peer);
        if (role == Role.LEADER && pr != null && pr.state == Progress.State.SNAPSHOT) {
            if (!delivered) {
                pr.pendingSnapshot = 0;
            }
            // Either way wait for the follower's answer (or the next heartbeat) before sending more.
            pr.becomeProbe();
            pr.probeSent = true;
        }
    }

    // ---------------------------------------------------------------- Ready

    /**
     * Builds the messages owed to followers (so proposals stepped since the last Ready leave as one
     * batch per follower) and says whether a {@link #ready()} is due. Not a pure query: call it once
     * per turn of the driver, after stepping the inputs of that turn.
     */
    public boolean prepareReady() {
        prepareSends();
        return !outbox.isEmpty() || !readStates.isEmpty() || !failedReads.isEmpty() || !log.unstable.entries.isEmpty()
                || log.unstable.snapshot != null || log.hasNextCommittedEntries()
                || !softState().equals(lastSoftState) || !hardState().equals(lastHardState);
    }

    /** Collects what the driver must do now. Call {@link #advance} when it is done, before anything else. */
    public Ready ready() {
        checkNoReadyOutstanding();
        prepareSends();
        SoftState soft = softState();
        HardState hard = hardState();
        Ready rd = new Ready(
                soft.equals(lastSoftState) ? null : soft,
                hard.equals(lastHardState) ? null : hard,
                log.unstable.snapshot,
                log.unstableEntries(),
                log.nextCommittedEntries(MAX_APPLY_BYTES),
                outbox,
                readStates,
                failedReads);
        outbox.clear();
        readStates.clear();
        failedReads.clear();
        readyOutstanding = true;
        return rd;
    }

    /** The driver has persisted, sent and applied what {@code rd} asked for. */
    public void advance(Ready rd) {
        if (!readyOutstanding) {
            throw new IllegalStateException("advance without an outstanding ready");
        }
        readyOutstanding = false;
        if (rd.softState() != null) {
            lastSoftState = rd.softState();
        }
        if (rd.hardState() != null) {
            lastHardState = rd.hardState();
        }
        if (rd.snapshot() != null) {
            log.stableSnapTo(rd.snapshot().index());
            log.applied = Math.max(log.applied, rd.snapshot().index());
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().get(rd.entries().size() - 1);
            log.stableTo(last.index(), last.term());
            Progress self = progress.get(id);
            if (role == Role.LEADER && self != null && self.maybeUpdate(log.persistedLastIndex())) {
                // The leader counts itself toward a majority only once its own copy is durable.
                maybeCommit();
            }
        }
        if (!rd.committedEntries().isEmpty()) {
            log.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
        }
    }

    // ---------------------------------------------------------------- observation

    public String id() {
        return id;
    }

    public Role role() {
        return role;
    }

    public long term() {
        return term;
    }

    /** The leader this node knows of in its current term, or null. */
    public String leader() {
        return leader;
    }

    public Membership membership() {
        return membership;
    }

    public long commitIndex() {
        return log.committed;
    }

    public long appliedIndex() {
        return log.applied;
    }

    public long lastIndex() {
        return log.lastIndex();
    }

    public long firstIndex() {
        return log.firstIndex();
    }

    /** The term of the entry at {@code index}, or -1 when this node does not hold it. */
    public long termAt(long index) {
        return log.term(index);
    }

    /**
     * Whether this node heard from the leader it follows within two heartbeat intervals: if not, the
     * leader may be gone, and sending clients to it would send them to a dead node.
     */
    public boolean leaderRecentlyHeard() {
        return role == Role.LEADER || role == Role.FOLLOWER && leader != null && electionElapsed <= 2 * cfg.heartbeatTicks();
    }

    public String transferee() {
        return transferee;
    }

    /** Leader only: each member's (voter's or learner's) known last matching index. Empty on other roles. */
    public Map<String, Long> matchIndexes() {
        Map<String, Long> out = new LinkedHashMap<>();
        progress.forEach((peer, pr) -> out.put(peer, pr.match));
        return out;
    }

    /**
     * Leader only: the members a message came from in this CheckQuorum round or the one before (within one
     * to two election timeouts). Not this round alone: that is empty of peers for the heartbeat and round
     * trip after each round starts, and every peer would look silent to whoever asked just then.
     */
    public Set<String> recentlyActive() {
        Set<String> out = new LinkedHashSet<>();
        progress.forEach((peer, pr) -> {
            if (pr.heardLately()) {
                out.add(peer);
            }
        });
        return out;
    }

    public SoftState softState() {
        return new SoftState(role, leader, term);
    }

    public HardState hardState() {
        return new HardState(term, votedFor);
    }

    @Override
    public String toString() {
        return id + "[" + role + " t" + term + " lead=" + leader + " last=" + log.lastIndex() + "@" + log.lastTerm()
                + " commit=" + log.committed + " applied=" + log.applied + " voters=" + membership.ids() + "@" + membershipIndex
                + (role == Role.LEADER ? " " + progress : "") + "]";
    }

    // ---------------------------------------------------------------- roles

    private void reset(long newTerm) {
        if (term != newTerm) {
            term = newTerm;
            votedFor = null;
        }
        leader = null;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTimeout = cfg.electionTicks() + random.nextInt(cfg.electionTicks());
        transferee = null;
        votes.clear();
        progress.clear();
        reads.clear();
        forwardedToUs.clear(); // their followers fail them on their own term change or timeout
        failedReads.addAll(forwarded.clear());
        appendOwed.clear();
    }

    private void becomeFollower(long newTerm, String newLeader) {
        reset(newTerm);
        role = Role.FOLLOWER;
        if (newLeader != null) {
            heardFromLeader(newLeader);
        }
    }

    private void becomePreCandidate() {
        // Deliberately keeps term and vote: a pre-candidate changes nothing that must be persisted.
        votes.clear();
        leader = null;
        role = Role.PRE_CANDIDATE;
        failedReads.addAll(forwarded.clear()); // no leader is followed any more to answer them
    }

    private void becomeCandidate() {
        reset(term + 1);
        votedFor = id;
        role = Role.CANDIDATE;
    }

    private void becomeLeader() {
        reset(term);
        role = Role.LEADER;
        leader = id;
        stoodAside = false;
        for (String member : membership.memberIds()) {
            Progress pr = new Progress(log.lastIndex() + 1, cfg.maxInflightMessages());
            if (member.equals(id)) {
                pr.match = log.persistedLastIndex();
                pr.recentActive = true;
            }
            progress.put(member, pr);
        }
        // §5.4.2 / §8: a leader commits nothing of earlier terms until an entry of its own term commits.
        appendAsLeader(List.of(Entry.noop(log.lastIndex() + 1, term)));
    }

    /** Why an election starts: a timeout (through PreVote or not), or a TimeoutNow from the leader. */
    private enum Campaign { PRE_ELECTION, ELECTION, TRANSFER }

    private void campaign(Campaign type) {
        long voteTerm;
        boolean pre = type == Campaign.PRE_ELECTION;
        if (pre) {
            becomePreCandidate();
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteTerm = term;
        }
        if (poll(id, true) == Quorum.VoteResult.WON) {
            // A one-voter cluster wins at once.
            if (pre) {
                campaign(Campaign.ELECTION);
            } else {
                becomeLeader();
            }
            return;
        }
        for (String voter : membership.ids()) {
            if (!voter.equals(id)) {
                send(new RequestVote(id, voter, voteTerm, log.lastIndex(), log.lastTerm(), pre,
                        type == Campaign.TRANSFER));
            }
        }
    }

    private Quorum.VoteResult poll(String from, boolean granted) {
        votes.putIfAbsent(from, granted);
        return membership.quorum().voteResult(votes);
    }

    /**
     * Who may campaign: a voter of its latest membership, and also a voter whose own removal is in its
     * log but not committed (votes are counted by that latest membership, which leaves it out). Without
     * the second, a leader that lost leadership halfway through removing itself, holding the longest
     * log, could never campaign, and the others, needing its vote, could never win.
     */
    private boolean promotable() {
        return membership.isVoter(id) || membership.isRemoved(id) && membershipIndex > log.committed;
    }

    /** CheckQuorum (dissertation §6.2): has a majority answered since the last check? */
    private boolean quorumActive() {
        return membership.quorum().hasQuorum(voter -> {
            Progress pr = progress.get(voter);
            return pr != null && pr.recentActive;
        });
    }

    // ---------------------------------------------------------------- message handling

    private void handleVoteRequest(RequestVote rv) {
        // We may vote again for the node we already voted for, or for anyone if we have neither voted
        // nor follow a leader in this term. A pre-vote for a future term commits us to nothing.
        boolean canVote = rv.from().equals(votedFor)
                || (votedFor == null && leader == null)
                || (rv.preVote() && rv.term() > term);
        if (canVote && log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm())) {
            send(new RequestVoteResponse(id, rv.from(), rv.term(), true, rv.preVote()));
            if (!rv.preVote()) {
                electionElapsed = 0;
                votedFor = rv.from();
            } else if (outranks(rv) && (role == Role.PRE_CANDIDATE || role == Role.FOLLOWER && !stoodAside
                    && (leader == null || electionElapsed >= cfg.electionTicks()))) {
                standAside();
            }
        } else {
            send(new RequestVoteResponse(id, rv.from(), term, false, rv.preVote()));
        }
    }

    /**
     * Two nodes that time out within a message's round trip of each other both win their pre-votes (a
     * pre-vote binds nobody), both raise their term, and the voters split between them: no leader until
     * another randomized timeout. So a node that grants a pre-vote to one that {@link #outranks} it lets
     * that one run: it gives up its own pre-vote, or, as a follower about to time out, restarts its
     * timer; only a follower whose leader has been silent for an election timeout does (with
     * CheckQuorum no other grants), and that leader is forgotten. Should the other fail, this node
     * campaigns one timeout later.
     *
     * <p>A follower does so once until it hears from a leader again: a pre-candidate that can reach
     * us but never win (its answers lost one way) would otherwise keep us from ever campaigning. A
     * pre-candidate gives way each time, as its own timeouts are drawn anew and cannot stay in step.
     */
    private void standAside() {
        boolean follower = role == Role.FOLLOWER;
        becomeFollower(term, null);
        stoodAside |= follower;
    }

    private void heardFromLeader(String from) {
        electionElapsed = 0;
        leader = from;
        stoodAside = false;
    }

    /**
     * Whether the asker of a vote we grant should run rather than us: its log is newer than ours, or
     * as new and its id sorts first. A total order, so of two pre-candidates exactly one stands aside.
     */
    private boolean outranks(RequestVote rv) {
        boolean sameLog = rv.lastLogTerm() == log.lastTerm() && rv.lastLogIndex() == log.lastIndex();
        return !sameLog || rv.from().compareTo(id) < 0;
    }

    private void stepLeader(Message m) {
        if (m instanceof AppendEntriesResponse r) {
            handleAppendResponse(r);
        } else if (m instanceof HeartbeatResponse r) {
            handleHeartbeatResponse(r);
        } else if (m instanceof ReadIndexRequest r) {
            // Confirmed with our own reads' heartbeat round; answered in deliverReads.
            long handle = --lastForwardedHandle;
            forwardedToUs.put(handle, r);
            startRead(handle);
        }
        // Anything else is a stale vote answer or a TimeoutNow that crossed our election: nothing to do.
    }

    private void stepCandidate(Message m) {
        if (m instanceof AppendEntries ae) {
            becomeFollower(term, ae.from());
            handleAppendEntries(ae);
        } else if (m instanceof Heartbeat hb) {
            becomeFollower(term, hb.from());
            handleHeartbeat(hb);
        } else if (m instanceof InstallSnapshot is) {
            becomeFollower(term, is.from());
            handleSnapshot(is);
        } else if (m instanceof RequestVoteResponse r && r.preVote() == (role == Role.PRE_CANDIDATE)) {
            switch (poll(r.from(), r.granted())) {
                case WON -> {
                    if (role == Role.PRE_CANDIDATE) {
                        campaign(Campaign.ELECTION);
                    } else {
                        becomeLeader();
                    }
                }
                case LOST -> becomeFollower(term, null);
                case PENDING -> {
                }
            }
        }
    }

    private void stepFollower(Message m) {
        if (m instanceof AppendEntries ae) {
            heardFromLeader(ae.from());
            handleAppendEntries(ae);
        } else if (m instanceof Heartbeat hb) {
            heardFromLeader(hb.from());
            handleHeartbeat(hb);
        } else if (m instanceof InstallSnapshot is) {
            heardFromLeader(is.from());
            handleSnapshot(is);
        } else if (m instanceof TimeoutNow && promotable()) {
            campaign(Campaign.TRANSFER);
        } else if (m instanceof ReadIndexResponse r) {
            ReadState rs = forwarded.answer(r);
            if (rs != null) {
                readStates.add(rs);
            }
        }
        // A ReadIndexRequest reaching a follower was meant for a leader this node is not: the asker
        // times out or learns the new leader with the next heartbeat.
    }

    private void handleAppendEntries(AppendEntries ae) {
        if (ae.prevLogIndex() < log.committed) {
            // Everything up to our commit index matches the leader already (Leader Completeness).
            send(AppendEntriesResponse.accept(id, ae.from(), term, log.committed));
            return;
        }
        long lastNew = log.maybeAppend(ae.prevLogIndex(), ae.prevLogTerm(), ae.leaderCommit(), ae.entries());
        if (lastNew >= 0) {
            if (!ae.entries().isEmpty()) {
                onEntriesAppended(ae.entries());
            }
            send(AppendEntriesResponse.accept(id, ae.from(), term, lastNew));
            return;
        }
        long hintIndex = Math.min(ae.prevLogIndex(), log.lastIndex());
        long[] hint = log.findConflictByTerm(hintIndex, ae.prevLogTerm());
        send(new AppendEntriesResponse(id, ae.from(), term, false, ae.prevLogIndex(), hint[0], hint[1]));
    }

    private void handleHeartbeat(Heartbeat hb) {
        log.commitTo(hb.commit());
        send(new HeartbeatResponse(id, hb.from(), term, hb.readRound()));
    }

    private void handleSnapshot(InstallSnapshot is) {
        Snapshot s = is.snapshot();
        if (s.index() <= log.committed) {
            send(AppendEntriesResponse.accept(id, is.from(), term, log.committed));
        } else if (log.matchTerm(s.index(), s.term())) {
            // We hold the snapshot's last entry already: it is committed, and so is all before it.
            log.commitTo(s.index());
            send(AppendEntriesResponse.accept(id, is.from(), term, log.committed));
        } else {
            log.restore(s);
            membership = s.metadata().membership();
            membershipIndex = s.index();
            send(AppendEntriesResponse.accept(id, is.from(), term, log.lastIndex()));
        }
    }

    private void handleAppendResponse(AppendEntriesResponse r) {
        Progress pr = progress.get(r.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        if (!r.success()) {
            long nextProbe = r.hintIndex();
            if (r.hintTerm() > 0) {
                nextProbe = log.findConflictByTerm(r.hintIndex(), r.hintTerm())[0];
            }
            if (pr.maybeDecrTo(r.index(), nextProbe)) {
                if (pr.state == Progress.State.REPLICATE) {
                    pr.becomeProbe();
                }
                appendOwed.add(r.from());
            }
            return;
        }
        if (!pr.maybeUpdate(r.index())) {
            return;
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match + 1 >= log.firstIndex()) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.freeInflightTo(r.index());
        }
        // A new commit index travels with the next AppendEntries or heartbeat (§5.3), not in a message
        // of its own: that extra round per write, and its answer, halved what a lone client could do,
        // and only followers' applying waits for it, never a commit or a client.
        maybeCommit();
        if (r.from().equals(transferee) && pr.match == log.lastIndex()) {
            send(new TimeoutNow(id, r.from(), term));
        }
    }

    private void handleHeartbeatResponse(HeartbeatResponse r) {
        Progress pr = progress.get(r.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        pr.probeSent = false;
        pr.freeOneInflight();
        if (pr.match < log.lastIndex() && pr.state != Progress.State.SNAPSHOT) {
            // It may have missed our last AppendEntries: (re)send from where we think it is.
            appendOwed.add(r.from());
        }
        reads.ack(r.from(), r.readRound());
        deliverReads(reads.release(membership.quorum()));
    }

    // ---------------------------------------------------------------- leader machinery

    private void requireLeaderAcceptingWrites() {
        if (role != Role.LEADER) {
            throw new NotLeaderException(leader, "not the leader");
        }
        if (transferee != null) {
            throw new NotLeaderException(null, "leadership is being transferred to " + transferee);
        }
    }

    private void appendAsLeader(List<Entry> entries) {
        log.append(entries);
        onEntriesAppended(entries);
        // The leader's own Progress moves only when these are durable (see advance).
    }

    /**
     * Raises the commit index to the highest index a majority holds, but only through an entry of the
     * current term (§5.4.2, Figure 8): older entries commit with it, never by counting alone.
     */
    private boolean maybeCommit() {
        long quorumIndex = membership.quorum().committedIndex(voter -> {
            Progress pr = progress.get(voter);
            return pr == null ? 0 : pr.match;
        });
        if (quorumIndex > log.committed && log.term(quorumIndex) == term) {
            log.commitTo(quorumIndex);
            reads.unpark().forEach(this::queueRead);
            if (!membership.isVoter(id) && membershipIndex <= log.committed) {
                // A leader removed from the cluster leads until its removal commits, then steps down (§4.2.2).
                becomeFollower(term, null);
            }
            return true;
        }
        return false;
    }

    private boolean committedInCurrentTerm() {
        return log.term(log.committed) == term;
    }

    private void queueRead(long requestId) {
        reads.add(requestId, log.committed, id);
        // A one-voter cluster needs no heartbeat round: the leader's own word is a majority.
        deliverReads(reads.release(membership.quorum()));
    }

    /** Confirmed reads: this node's own go to the Ready, a follower's back to it as its read index. */
    private void deliverReads(List<ReadState> confirmed) {
        for (ReadState rs : confirmed) {
            ReadIndexRequest asked = forwardedToUs.remove(rs.requestId());
            if (asked == null) {
                readStates.add(rs);
            } else {
                send(new ReadIndexResponse(id, asked.from(), term, asked.requestId(), rs.index()));
            }
        }
    }

    private void broadcastHeartbeat() {
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            if (!e.getKey().equals(id)) {
                long commit = Math.min(e.getValue().match, log.committed);
                send(new Heartbeat(id, e.getKey(), term, commit, reads.round()));
            }
        }
    }

    /**
     * Turns the leader's replication state into messages. Called when a Ready is collected, so every
     * proposal and answer stepped since the last Ready travels in as few AppendEntries as the byte
     * and in-flight limits allow.
     */
    private void prepareSends() {
        if (role != Role.LEADER) {
            appendOwed.clear();
            return;
        }
        if (reads.startRound()) {
            broadcastHeartbeat();
        }
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            String peer = e.getKey();
            if (peer.equals(id)) {
                continue;
            }
            Progress pr = e.getValue();
            boolean owed = appendOwed.contains(peer);
            while (!pr.isPaused() && (owed || pr.next <= log.lastIndex())) {
                if (!sendAppend(peer, pr)) {
                    break;
                }
                owed = false;
            }
        }
        appendOwed.clear();
    }

    /** Sends the next AppendEntries to {@code peer}, or InstallSnapshot if its next entry is compacted. */
    private boolean sendAppend(String peer, Progress pr) {
        long prevIndex = pr.next - 1;
        long prevTerm = log.term(prevIndex);
        List<Entry> entries = prevTerm == RaftLog.UNKNOWN ? null
                : log.entries(pr.next, log.lastIndex() + 1, cfg.maxBytesPerMessage());
        if (entries == null) {
            if (!pr.recentActive) {
                return false; // no point shipping a snapshot to a node that does not answer
            }
            Snapshot snap = log.snapshot();
            if (snap == null) {
                return false;
            }
            pr.becomeSnapshot(snap.index());
            send(new InstallSnapshot(id, peer, term, snap));
            return true;
        }
        send(new AppendEntries(id, peer, term, prevIndex, prevTerm, entries, log.committed));
        pr.sent(entries.isEmpty() ? prevIndex : entries.get(entries.size() - 1).index(), entries.size());
        return true;
    }

    // ---------------------------------------------------------------- membership in the log

    /** {@code entries} were just appended to the log; keep {@link #membership} in line with it. */
    private void onEntriesAppended(List<Entry> entries) {
        long first = entries.get(0).index();
        Membership old = membership;
        if (membershipIndex >= first) {
            // Entries from `first` on were sent again (the log kept what matched, and may hold more than
            // these) or replaced: read the membership back from what the log holds now. Taking the
            // latest membership entry among `entries` instead went back to an older membership when a
            // re-sent batch ended before the newest one (found by the simulator).
            recomputeMembership(log.lastIndex());
        } else {
            for (Entry e : entries) {
                if (e.type() == EntryType.MEMBERSHIP) {
                    membership = Membership.decode(e.data());
                    membershipIndex = e.index();
                }
            }
        }
        if (role == Role.LEADER && !membership.equals(old)) {
            // A new member is probed from the end of our log; a removed one is no longer replicated to.
            // A promoted learner keeps its progress: it is caught up already.
            for (String member : membership.memberIds()) {
                if (!progress.containsKey(member)) {
                    progress.put(member, new Progress(log.lastIndex() + 1, cfg.maxInflightMessages()));
                    appendOwed.add(member); // probe it now rather than at the next heartbeat
                }
            }
            progress.keySet().removeIf(peer -> !peer.equals(id) && !membership.isMember(peer));
        }
    }

    /** Entries up to the snapshot are committed and never overwritten, so the scan starts after it. */
    private void recomputeMembership(long upTo) {
        Snapshot snap = log.snapshot();
        membership = snap.metadata().membership();
        membershipIndex = snap.index();
        scanMembership(snap.index() + 1, upTo);
    }

    private void scanMembership(long from, long to) {
        long i = Math.max(from, log.firstIndex());
        while (i <= to) {
            List<Entry> batch = log.entries(i, to + 1, 8L << 20);
            for (Entry e : batch) {
                if (e.type() == EntryType.MEMBERSHIP) {
                    membership = Membership.decode(e.data());
                    membershipIndex = e.index();
                }
            }
            i += batch.size();
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void send(Message m) {
        outbox.add(m);
    }

    private void checkNoReadyOutstanding() {
        if (readyOutstanding) {
            throw new IllegalStateException("the last Ready was not advanced");
        }
    }
}
