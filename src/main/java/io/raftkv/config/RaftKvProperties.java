package io.raftkv.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * Everything a raftkv node is configured with ({@code raftkv.*}, or {@code RAFTKV_*} environment
 * variables). Invalid values stop the start-up with a message naming the property.
 *
 * @param nodeId       this node's id; in Kubernetes the pod name
 * @param cluster      the initial members, {@code id=peerURL,...}; empty means a one-node cluster.
 *                     Only a new data directory is bootstrapped from it: afterwards the membership
 *                     stored in the log wins, so changing this list later cannot split a cluster.
 * @param peerPort     port of the internal {@code /raft} endpoints (never served on the client port)
 * @param advertiseUrl the URL clients use to reach this node, used in redirects to it; defaults to
 *                     {@code http://localhost:<server.port>}
 * @param dataDir      where the log, hard state and snapshots live; defaults to {@code data/<nodeId>}
 * @param peerSecret   shared secret every peer request must carry; empty disables peer authentication
 */
@ConfigurationProperties("raftkv")
public record RaftKvProperties(
        @DefaultValue("n1") String nodeId,
        @DefaultValue("") String cluster,
        @DefaultValue("7080") int peerPort,
        String advertiseUrl,
        String dataDir,
        @DefaultValue("") String peerSecret,
        @DefaultValue Timing timing,
        @DefaultValue Limits limits,
        @DefaultValue Requests requests,
        @DefaultValue Snapshot snapshot,
        @DefaultValue Idempotency idempotency) {

    public RaftKvProperties {
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("raftkv.node-id must be 1-63 letters, digits, '.', '_' or '-' (got '" + nodeId + "')");
        }
        if (peerPort < 1 || peerPort > 65535) {
            throw new IllegalArgumentException("raftkv.peer-port must be a TCP port (got " + peerPort + ")");
        }
        if (advertiseUrl != null && !advertiseUrl.isBlank() && !advertiseUrl.matches("https?://[^/\\s]+/?")) {
            throw new IllegalArgumentException("raftkv.advertise-url must look like http://host:port (got '" + advertiseUrl + "')");
        }
        cluster = cluster == null ? "" : cluster.trim();
        ClusterSpec.parse(cluster, nodeId, peerPort); // validates
    }

    /** Raft's clock. Defaults give a 150-300 ms randomized election timeout and 50 ms heartbeats. */
    public record Timing(@DefaultValue("10ms") Duration tick,
                         @DefaultValue("150ms") Duration electionTimeout,
                         @DefaultValue("50ms") Duration heartbeatInterval) {
        public Timing {
            if (tick.toMillis() < 1) {
                throw new IllegalArgumentException("raftkv.timing.tick must be at least 1ms");
            }
            if (electionTimeout.toMillis() % tick.toMillis() != 0 || heartbeatInterval.toMillis() % tick.toMillis() != 0) {
                throw new IllegalArgumentException("raftkv.timing.election-timeout and heartbeat-interval must be multiples of raftkv.timing.tick");
            }
            if (heartbeatInterval.compareTo(tick) < 0 || electionTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("raftkv.timing.election-timeout (" + electionTimeout.toMillis()
                        + "ms) must be at least twice raftkv.timing.heartbeat-interval (" + heartbeatInterval.toMillis() + "ms)");
            }
        }

        public int electionTicks() {
            return (int) (electionTimeout.toMillis() / tick.toMillis());
        }

        public int heartbeatTicks() {
            return (int) (heartbeatInterval.toMillis() / tick.toMillis());
        }
    }

    /**
     * Bad input is refused with 400/413 before it reaches the log; client data and client work are
     * bounded on the leader before anything is proposed (507 past the store quota, 429 with
     * Retry-After past a queue bound). See {@link io.raftkv.node.NodeLimits} for why the defaults are what they are.
     *
     * @param maxStoreSize     the store quota; unset means 2 GiB or a tenth of the max heap, whichever is smaller
     * @param maxPendingWrites writes the leader holds admitted and not yet applied
     * @param maxPendingBytes  their bytes; unset means 64 MB or a sixteenth of the max heap, whichever is smaller
     * @param maxApplyBacklog  committed entries not yet applied past which the leader refuses new writes
     * @param maxPendingReads  linearizable reads waiting for their read index
     */
    public record Limits(@DefaultValue("1KB") DataSize maxKeySize, @DefaultValue("1MB") DataSize maxValueSize,
                         @DefaultValue("1000") int maxListLimit,
                         DataSize maxStoreSize,
                         @DefaultValue("4096") int maxPendingWrites,
                         DataSize maxPendingBytes,
                         @DefaultValue("5000") long maxApplyBacklog,
                         @DefaultValue("8192") int maxPendingReads) {
        public Limits {
            if (maxKeySize.toBytes() < 1 || maxValueSize.toBytes() < 0 || maxListLimit < 1) {
                throw new IllegalArgumentException("raftkv.limits.* must be positive");
            }
            if (maxValueSize.toBytes() > 64L << 20) {
                throw new IllegalArgumentException("raftkv.limits.max-value-size may be at most 64MB");
            }
            if (maxStoreSize != null && maxStoreSize.toBytes() < 1) {
                throw new IllegalArgumentException("raftkv.limits.max-store-size must be positive (got " + maxStoreSize + ")");
            }
            if (maxPendingBytes != null && maxPendingBytes.toBytes() < 1) {
                throw new IllegalArgumentException("raftkv.limits.max-pending-bytes must be positive (got " + maxPendingBytes + ")");
            }
            if (maxPendingWrites < 1) {
                throw new IllegalArgumentException("raftkv.limits.max-pending-writes must be positive (got " + maxPendingWrites + ")");
            }
            if (maxApplyBacklog < 1) {
                throw new IllegalArgumentException("raftkv.limits.max-apply-backlog must be positive (got " + maxApplyBacklog + ")");
            }
            if (maxPendingReads < 1) {
                throw new IllegalArgumentException("raftkv.limits.max-pending-reads must be positive (got " + maxPendingReads + ")");
            }
        }

        /** The node's quota and queue bounds, with unset sizes derived from {@code maxHeapBytes}. */
        public io.raftkv.node.NodeLimits nodeLimits(long maxHeapBytes) {
            io.raftkv.node.NodeLimits defaults = io.raftkv.node.NodeLimits.forHeap(maxHeapBytes);
            return new io.raftkv.node.NodeLimits(
                    maxStoreSize == null ? defaults.storeQuotaBytes() : maxStoreSize.toBytes(),
                    new io.raftkv.node.Backpressure.Limits(maxPendingWrites,
                            maxPendingBytes == null ? defaults.backpressure().maxPendingWriteBytes() : maxPendingBytes.toBytes(),
                            maxApplyBacklog, maxPendingReads));
        }
    }

    /**
     * @param leaderWait     how long a request waits for an election to produce a leader before 503
     * @param timeout        how long a write may wait to commit before the answer is "outcome unknown"
     * @param stepDownGrace  after this node loses leadership, how long its pending writes wait for the
     *                       new leader to commit them before the answer is "outcome unknown"
     */
    public record Requests(@DefaultValue("2s") Duration leaderWait, @DefaultValue("5s") Duration timeout,
                           @DefaultValue("1s") Duration stepDownGrace) {
    }

    /**
     * @param entries         a node snapshots its state machine after this many applied entries
     * @param trailingEntries entries kept in the log behind a snapshot, so slightly slow followers
     *                        get entries instead of a whole snapshot
     */
    public record Snapshot(@DefaultValue("20000") long entries, @DefaultValue("5000") long trailingEntries) {
        public Snapshot {
            if (entries < 1 || trailingEntries < 0) {
                throw new IllegalArgumentException("raftkv.snapshot.entries must be positive and trailing-entries not negative");
            }
        }
    }

    /** How long, and for how many keys, a write's outcome is remembered for retries with the same Idempotency-Key. */
    public record Idempotency(@DefaultValue("100000") int maxEntries, @DefaultValue("1h") Duration ttl) {
    }
}
