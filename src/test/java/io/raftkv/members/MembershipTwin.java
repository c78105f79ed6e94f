package io.raftkv.members;

import io.raftkv.raft.NotLeaderException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An in-memory {@link MembershipPort}: the membership a leader would report, changed by the same
 * calls, with the node's rules (one change at a time; a learner only is promoted; the leader is
 * never removed while it leads; leadership only to a live voter). Every call made is in
 * {@link #calls()}; a rule broken fails the call as the node would.
 */
final class MembershipTwin implements MembershipPort {
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final List<String> calls = new ArrayList<>();
    private String leaderId;
    private boolean leading = true;
    private boolean changePending;
    private RuntimeException nextFailure;

    MembershipTwin(String... voterNames) {
        for (String name : voterNames) {
            members.put(name, new Member(name, name, true, 100, 0, true));
        }
        leaderId = voterNames[0];
    }

    @Override
    public synchronized Members members() {
        if (!leading) {
            throw new NotLeaderException(null, "not the leader");
        }
        return new Members(leaderId, List.copyOf(members.values()), changePending);
    }

    @Override
    public synchronized CompletableFuture<?> promote(String memberId) {
        calls.add("promote " + memberId);
        return change(() -> {
            Member m = existing(memberId);
            if (m.voter()) {
                throw new IllegalStateException(memberId + " is already a voter");
            }
            members.put(memberId, new Member(m.id(), m.name(), true, m.matchIndex(), m.lag(), m.recentlyHeard()));
        });
    }

    @Override
    public synchronized CompletableFuture<?> remove(String memberId) {
        calls.add("remove " + memberId);
        return change(() -> {
            existing(memberId);
            if (memberId.equals(leaderId)) {
                throw new IllegalStateException("the twin's leader " + memberId + " must hand leadership over first");
            }
            members.remove(memberId);
        });
    }

    @Override
    public synchronized CompletableFuture<?> transferLeadership(String memberId) {
        calls.add("transfer " + memberId);
        return change(() -> {
            Member m = existing(memberId);
            if (!m.voter() || !m.recentlyHeard()) {
                throw new IllegalStateException(memberId + " is not a live voter");
            }
            leaderId = memberId;
        });
    }

    private CompletableFuture<?> change(Runnable change) {
        if (nextFailure != null) {
            RuntimeException e = nextFailure;
            nextFailure = null;
            return CompletableFuture.failedFuture(e);
        }
        if (changePending) {
            return CompletableFuture.failedFuture(new IllegalStateException("another membership change is in progress"));
        }
        try {
            change.run();
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Member existing(String id) {
        Member m = members.get(id);
        if (m == null) {
            throw new IllegalStateException("no member " + id);
        }
        return m;
    }

    /** A pod starts with an empty disk and joins as a learner, far behind the leader. */
    synchronized void join(String memberId) {
        members.put(memberId, new Member(memberId, memberId.split("~")[0], false, 0, 100_000, true));
    }

    synchronized void catchUp(String memberId) {
        Member m = existing(memberId);
        members.put(memberId, new Member(m.id(), m.name(), m.voter(), 100, 0, m.recentlyHeard()));
    }

    /** The member's process is gone (or cut off): the leader stops hearing from it. */
    synchronized void silence(String memberId) {
        Member m = existing(memberId);
        members.put(memberId, new Member(m.id(), m.name(), m.voter(), m.matchIndex(), m.lag(), false));
    }

    synchronized void leading(boolean leading) {
        this.leading = leading;
    }

    synchronized void changePending(boolean pending) {
        changePending = pending;
    }

    synchronized void failNextChange(RuntimeException e) {
        nextFailure = e;
    }

    synchronized String leaderId() {
        return leaderId;
    }

    synchronized List<String> voters() {
        return members.values().stream().filter(Member::voter).map(Member::id).toList();
    }

    synchronized List<String> learners() {
        return members.values().stream().filter(m -> !m.voter()).map(Member::id).toList();
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }
}
