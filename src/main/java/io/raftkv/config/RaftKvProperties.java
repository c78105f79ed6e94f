package io.raftkv.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
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
 * @param peerAdvertiseUrl where peers reach this node when {@code cluster} does not name it (a node
 *                     added later, such as a pod of a scaled-up StatefulSet): it then joins the
 *                     cluster the listed members run, as a learner
 * @param dataDir      where the log, hard state and snapshots live; defaults to {@code data/<nodeId>}
 * @param peerSecret   shared secret every peer request must carry; empty disables peer authentication
 * @param clusterToken mixed into the cluster ID made when a new cluster bootstraps, so two clusters
 *                     with the same member list still refuse each other's messages
 * @param peer         the peer server: TLS and bounds
 * @param client       the client server's worker threads
 * @param restoreFrom  a backup file ({@code GET /snapshot}) to start a new cluster from, when the data
 *                     directory is empty; see {@code node.Restore}
 * @param forceNewCluster make this member's data a new cluster with this node as its only voter, after
 *                     a majority is lost for good; see {@code node.ForceNewCluster}
 */
@ConfigurationProperties("raftkv")
public record RaftKvProperties(
        @DefaultValue("n1") String nodeId,
        @DefaultValue("") String cluster,
        @DefaultValue("7080") int peerPort,
        String advertiseUrl,
        String peerAdvertiseUrl,
        String dataDir,
        @DefaultValue("") String peerSecret,
        @DefaultValue Timing timing,
        @DefaultValue Limits limits,
        @DefaultValue Requests requests,
        @DefaultValue Snapshot snapshot,
        @DefaultValue Idempotency idempotency,
        @DefaultValue("") String clusterToken,
        @DefaultValue Peer peer,
        @DefaultValue Client client,
        @DefaultValue Auth auth,
        String restoreFrom,
        @DefaultValue("false") boolean forceNewCluster) {

    public RaftKvProperties {
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("raftkv.node-id must be 1-63 letters, digits, '.', '_' or '-' (got '" + nodeId + "')");
        }
        if (peerPort < 1 || peerPort > 65535) {
            throw new IllegalArgumentException("raftkv.peer-port must be a TCP port (got " + peerPort + ")");
        }
        if (peerAdvertiseUrl != null && !peerAdvertiseUrl.isBlank() && !peerAdvertiseUrl.matches("https?://[^/\\s]+:[0-9]+")) {
            throw new IllegalArgumentException("raftkv.peer-advertise-url must look like http://host:port (got '" + peerAdvertiseUrl + "')");
        }
        if (advertiseUrl != null && !advertiseUrl.isBlank() && !advertiseUrl.matches("https?://[^/\\s]+/?")) {
            throw new IllegalArgumentException("raftkv.advertise-url must look like http://host:port (got '" + advertiseUrl + "')");
        }
        cluster = cluster == null ? "" : cluster.trim();
        ClusterSpec.parse(cluster, nodeId, peerPort, peerAdvertiseUrl); // validates
        clusterToken = clusterToken == null ? "" : clusterToken;
        if (!cluster.isEmpty()) {
            String scheme = peer.ssl().enabled() ? "https://" : "http://";
            for (io.raftkv.raft.Peer member : ClusterSpec.parse(cluster, nodeId, peerPort, peerAdvertiseUrl).voters()) {
                if (!member.address().startsWith(scheme)) {
                    throw new IllegalArgumentException("raftkv.cluster: the peer URL of " + member.id() + " must start with " + scheme
                            + (peer.ssl().enabled() ? " because raftkv.peer.ssl.bundle is set" : " unless raftkv.peer.ssl.bundle is set"));
                }
            }
        }
        restoreFrom = restoreFrom == null || restoreFrom.isBlank() ? null : restoreFrom.trim();
        if (restoreFrom != null && forceNewCluster) {
            throw new IllegalArgumentException("raftkv.restore-from and raftkv.force-new-cluster exclude each other: restore a"
                    + " backup into empty data directories, or force a new cluster from one member's existing data");
        }
        long needed = peerBodyNeeded(limits);
        if (peer.maxBodySize() != null && peer.maxBodySize().toBytes() < needed) {
            throw new IllegalArgumentException("raftkv.peer.max-body-size (" + peer.maxBodySize().toBytes()
                    + " bytes) is smaller than the largest batch a peer sends with raftkv.limits.max-value-size "
                    + limits.maxValueSize() + " (" + needed + " bytes)");
        }
    }

    /** The data directory: {@code raftkv.data-dir}, else {@code data/<node-id>}. */
    public Path dataPath() {
        return Path.of(dataDir == null || dataDir.isBlank() ? "data/" + nodeId : dataDir);
    }

    /** Entry bytes in one AppendEntries; the core lets a single larger entry through alone. */
    public static final long MAX_BYTES_PER_MESSAGE = 1 << 20;

    private static long peerBodyNeeded(Limits limits) {
        return io.raftkv.node.PeerTransport.maxBodyBytes(MAX_BYTES_PER_MESSAGE, limits.maxKeySize().toBytes(),
                limits.maxValueSize().toBytes());
    }

    /** The largest peer request body the peer server reads: the configured one, or what the senders can build. */
    public long peerMaxBodyBytes() {
        return peer.maxBodySize() != null ? peer.maxBodySize().toBytes() : peerBodyNeeded(limits);
    }

    /**
     * Raft's clock. Defaults give a 500-1000 ms randomized election timeout and 50 ms heartbeats: the
     * timeout must outlast a loaded JVM's longest stall (GC pauses of a few hundred ms were measured
     * under the benchmark on two cores), and a leader that died is noticed sooner anyway (PeerProbe).
     */
    public record Timing(@DefaultValue("10ms") Duration tick,
                         @DefaultValue("500ms") Duration electionTimeout,
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
     * @param maxPageBytes     a listing page ends early (with a {@code next} cursor) once its items would
     *                         take more than this; a single value larger than it still comes, alone on its page
     * @param maxStoreSize     the store quota; unset means 2 GiB or a quarter of the max heap, whichever is smaller
     * @param maxPendingWrites writes the leader holds admitted and not yet applied
     * @param maxPendingBytes  their bytes; unset means 64 MB or a thirty-second of the max heap, whichever is smaller
     * @param maxApplyBacklog  committed entries not yet applied past which the leader refuses new writes
     * @param maxPendingReads  linearizable reads waiting for their read index
     */
    public record Limits(@DefaultValue("1KB") DataSize maxKeySize, @DefaultValue("1MB") DataSize maxValueSize,
                         @DefaultValue("1000") int maxListLimit, @DefaultValue("4MB") DataSize maxPageBytes,
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
            if (maxPageBytes.toBytes() < 1024 || maxPageBytes.toBytes() > 256L << 20) {
                throw new IllegalArgumentException("raftkv.limits.max-page-bytes must be from 1KB to 256MB (got " + maxPageBytes + ")");
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

    /**
     * The peer server ({@code raftkv.peer.*}; the port and secret are {@code raftkv.peer-port} and
     * {@code raftkv.peer-secret}).
     *
     * @param ssl            {@code bundle}: a Spring SSL bundle ({@code spring.ssl.bundle.*}); with one,
     *                       peers talk HTTPS with mutual TLS and a peer's certificate must name it
     * @param maxBodySize    largest peer request read; by default the largest batch a sender builds
     * @param maxThreads     threads serving peer requests
     * @param maxConnections peer connections held open at once
     */
    public record Peer(@DefaultValue Ssl ssl, DataSize maxBodySize, @DefaultValue("16") int maxThreads,
                       @DefaultValue("128") int maxConnections) {
        public Peer {
            if (maxThreads < 2 || maxConnections < 8) {
                throw new IllegalArgumentException("raftkv.peer.max-threads must be at least 2 and raftkv.peer.max-connections at least 8");
            }
        }

        /** @param bundle name of the SSL bundle, or empty for plain HTTP between peers */
        public record Ssl(@DefaultValue("") String bundle) {
            public boolean enabled() {
                return bundle != null && !bundle.isBlank();
            }
        }
    }

    /**
     * The client server ({@code raftkv.client.*}).
     *
     * @param maxThreads threads serving client requests; 0 (the default) means one per available
     *                   processor and one more, at least 3. Writes and linearizable reads give their
     *                   thread back while they wait for Raft, so about one thread per core keeps the
     *                   cores busy; more only compete with the Raft, apply, disk and peer threads for
     *                   the same cores (on two cores, 200 threads under load delayed heartbeats until
     *                   the leader stepped down, and 8 instead of 3 cost a fifth to two fifths of the
     *                   puts at 64 connections). Requests beyond them wait in Tomcat's queue, bounded
     *                   by {@code server.tomcat.max-connections}.
     */
    public record Client(@DefaultValue("0") int maxThreads) {
        public Client {
            if (maxThreads != 0 && maxThreads < 2) {
                throw new IllegalArgumentException("raftkv.client.max-threads must be at least 2, or 0 for one per processor and one more (got "
                        + maxThreads + ")");
            }
        }

        /** The threads to run: the setting, or one per processor and one more, at least 3. */
        public int threads(int processors) {
            return maxThreads > 0 ? maxThreads : Math.max(3, processors + 1);
        }
    }

    /**
     * Client authentication and authorization.
     *
     * @param rootToken the root bearer token, the same on every node; empty (the default) turns client
     *                  authentication off and leaves every endpoint open
     */
    public record Auth(@DefaultValue("") String rootToken) {
        public static final int MIN_ROOT_TOKEN_LENGTH = 16;

        public Auth {
            rootToken = rootToken == null ? "" : rootToken;
            if (!rootToken.isEmpty() && (rootToken.length() < MIN_ROOT_TOKEN_LENGTH || !rootToken.matches("[\\x21-\\x7E]+"))) {
                throw new IllegalArgumentException("raftkv.auth.root-token must be at least " + MIN_ROOT_TOKEN_LENGTH
                        + " printable characters without spaces (e.g. `openssl rand -base64 32`), or empty to turn authentication off");
            }
        }

        public boolean enabled() {
            return !rootToken.isEmpty();
        }

        @Override
        public String toString() {
            return "Auth[rootToken=" + (rootToken.isEmpty() ? "" : "***") + "]"; // never log the secret
        }
    }
}
