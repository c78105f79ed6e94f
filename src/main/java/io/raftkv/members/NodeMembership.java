package io.raftkv.members;

import io.raftkv.node.MemberView;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.NotLeaderException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The autopilot's {@link MembershipPort} over this node: everything goes through the node's Raft loop. */
public final class NodeMembership implements MembershipPort {
    private static final Duration ASK = Duration.ofSeconds(5);

    private final RaftKvNode node;

    public NodeMembership(RaftKvNode node) {
        this.node = node;
    }

    @Override
    public Members members() {
        List<MemberView> views = await(node.members());
        if (views.isEmpty()) {
            throw new NotLeaderException(node.status().leader(), "not the leader");
        }
        List<Member> members = views.stream()
                .map(v -> new Member(v.id(), v.name(), v.voter(), v.matchIndex(), v.lag(), v.recentlyActive())).toList();
        return new Members(node.status().id(), members, await(node.membershipChangePending()));
    }

    @Override
    public CompletableFuture<?> promote(String memberId) {
        return node.promote(memberId);
    }

    @Override
    public CompletableFuture<?> remove(String memberId) {
        return node.remove(memberId);
    }

    /** Completes once {@code memberId} leads, as this node's published status says. */
    @Override
    public CompletableFuture<?> transferLeadership(String memberId) {
        node.transferLeadership(memberId);
        return CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + ASK.multipliedBy(2).toNanos();
            while (!memberId.equals(node.status().leader())) {
                if (System.nanoTime() > deadline) {
                    throw new NotLeaderException(node.status().leader(), "leadership did not move to " + memberId);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        });
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(ASK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the node did not answer within " + ASK, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
