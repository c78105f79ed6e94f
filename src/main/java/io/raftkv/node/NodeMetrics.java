package io.raftkv.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Latencies and counts the runtime records; gauges of the published status are bound in {@code ops}. */
public final class NodeMetrics {
    private final Timer proposal;
    private final Timer commit;
    private final Timer fsync;
    private final Counter leaderChanges;
    private final Counter snapshots;
    private final Timer snapshotSave;
    private final Timer logCompaction;
    private final MeterRegistry registry;
    /** One summary per peer lane, looked up once: a batch is often one message, handed over on the Raft thread. */
    private final Map<String, DistributionSummary> peerBatches = new ConcurrentHashMap<>();

    public NodeMetrics(MeterRegistry registry) {
        this.registry = registry;
        proposal = Timer.builder("raft.proposal.latency").description("from proposing a write to applying it on the leader")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        commit = Timer.builder("raft.commit.latency").description("from proposing an entry to the leader committing it")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        fsync = Timer.builder("raft.fsync.latency").description("time to make one Ready durable (log, hard state, snapshot)")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        leaderChanges = Counter.builder("raft.leader.changes").description("times this node saw the leader change")
                .register(registry);
        snapshots = Counter.builder("raft.snapshots").description("snapshots this node took of its state machine")
                .register(registry);
        snapshotSave = Timer.builder("raft.snapshot.save").description("time to write and sync a snapshot this node took, beside the Raft thread")
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        logCompaction = Timer.builder("raft.log.compaction").description("time to drop the log before a saved snapshot, or to delete one more of its segments, on the Raft thread")
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    }

    /** Records nothing: a composite registry without members makes no-op meters (the simulator runs millions of steps). */
    public static NodeMetrics noop() {
        return new NodeMetrics(new CompositeMeterRegistry());
    }

    void proposalApplied(long nanos) {
        proposal.record(nanos, TimeUnit.NANOSECONDS);
    }

    void committed(long nanos) {
        commit.record(nanos, TimeUnit.NANOSECONDS);
    }

    void persisted(long nanos) {
        fsync.record(nanos, TimeUnit.NANOSECONDS);
    }

    void leaderChanged() {
        leaderChanges.increment();
    }

    void snapshotTaken() {
        snapshots.increment();
    }

    void snapshotSaved(long nanos) {
        snapshotSave.record(nanos, TimeUnit.NANOSECONDS);
    }

    void logCompacted(long nanos) {
        logCompaction.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A client request refused before it was proposed or queued, by reason (see {@link Backpressure}). */
    void refused(String reason) {
        Counter.builder("raftkv.requests.refused").description("client requests refused by a limit before reaching the log")
                .tag("reason", reason).register(registry).increment();
    }

    /** One batch of messages handed to a peer stream. */
    void peerBatch(String lane, int messages) {
        peerBatches.computeIfAbsent(lane, l -> DistributionSummary.builder("raft.peer.batch.messages")
                .description("messages per batch sent to a peer").tag("lane", l).register(registry)).record(messages);
    }

    /** A stream to a peer was opened: more than a few per peer means connections keep dying. */
    void peerStreamOpened(String lane) {
        Counter.builder("raft.peer.streams.opened").description("streams opened to peers (reconnects included)")
                .tag("lane", lane).register(registry).increment();
    }
}
