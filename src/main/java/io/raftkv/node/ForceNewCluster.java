package io.raftkv.node;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.LogStore;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.storage.DurableStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code raftkv.force-new-cluster}, as etcd's flag of that name: before the node starts, makes a
 * surviving member's data the first state of a new cluster whose only voter is this node, so it can
 * elect itself when a majority is lost for good. Every entry in its log is applied into a new
 * snapshot that holds the new membership, and the log is reset to it; the cluster gets a new ID so
 * that the lost members' old data can never join it.
 *
 * <p>This member does not know which of the entries at the end of its log were committed (the commit
 * index is not stored), so it keeps them all: a write whose client got "outcome unknown" may appear.
 * Writes acknowledged by a majority that did not include this member are lost.
 *
 * <p>Done once: a marker file records it, and a restart with the setting still on starts normally.
 */
public final class ForceNewCluster {
    private static final Logger log = LoggerFactory.getLogger(ForceNewCluster.class);
    /** Written into the data directory once the new cluster is made; delete it to force again. */
    static final String MARKER = "forced-new-cluster";
    private static final long READ_BYTES = 4 << 20;

    private ForceNewCluster() {
    }

    public static void prepare(RaftKvNode.Settings s) throws IOException {
        Path dir = s.dataDir();
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) {
            log.info("{}: raftkv.force-new-cluster is set, but {} was made a new cluster before ({}); starting normally."
                    + " Unset raftkv.force-new-cluster.", s.id(), dir, Files.readString(marker, StandardCharsets.UTF_8).trim());
            return;
        }
        RaftStorage storage = DurableStorage.open(dir);
        try {
            if (!storage.isBootstrapped()) {
                throw new IOException("raftkv.force-new-cluster is set, but the data directory " + dir + " holds no data: it"
                        + " recovers a surviving member's data. Point raftkv.data-dir at that data, or unset the setting.");
            }
            if (IdentityCheck.pending(dir)) {
                throw new IOException("raftkv.force-new-cluster is set, but the data directory " + dir + " never took part in"
                        + " its cluster (it is new and unconfirmed, see IdentityCheck), so it holds nothing to recover."
                        + " Force a member that served the cluster, or unset the setting.");
            }
            Snapshot base = storage.snapshots().latest();
            String oldId = ClusterId.loadOrCreate(dir, base.metadata().membership(), s.clusterToken());
            String memberId = IdentityCheck.memberId(dir, s.id());
            Peer self = base.metadata().membership().peer(memberId)
                    .or(() -> s.bootstrap().peer(s.id()).map(p -> new Peer(memberId, p.address())))
                    .orElseThrow(() -> new IOException("raftkv.force-new-cluster: " + memberId + " is neither in raftkv.cluster"
                            + " nor in the stored membership, so its peer URL is unknown"));
            Membership alone = new Membership(List.of(self));
            Snapshot forced = replay(s, base, storage.log(), alone);
            storage.installSnapshot(forced);
            Files.deleteIfExists(dir.resolve(ClusterId.FILE));
            String newId = ClusterId.loadOrCreate(dir, alone,
                    s.clusterToken() + "\nforced from cluster " + oldId + " at " + forced.index() + "@" + forced.term());
            Files.writeString(marker, "cluster " + oldId + " became cluster " + newId + " with the single voter " + s.id()
                    + " at index " + forced.index() + "\n", StandardCharsets.UTF_8);
            log.warn("{}: FORCED A NEW CLUSTER from {}: the only voter is now {} ({}), at index {} term {}; cluster {} is"
                    + " now {}. Writes acknowledged by members that are gone but not stored here are lost. Add the other"
                    + " members back with empty data directories.", s.id(), dir, s.id(), self.address(), forced.index(),
                    forced.term(), oldId, newId);
        } finally {
            DurableStorage.close(storage);
        }
    }

    /** The state after every entry in the log, as a snapshot whose only voter is {@code alone}. */
    private static Snapshot replay(RaftKvNode.Settings s, Snapshot base, LogStore log, Membership alone) throws IOException {
        KvStateMachine kv = new KvStateMachine(s.idempotency());
        if (base.index() > 0 || base.content().size() > 0) {
            try (InputStream in = base.content().open()) {
                kv.restore(in);
            }
        }
        long term = base.term();
        for (long next = base.index() + 1; next <= log.lastIndex(); ) {
            for (Entry e : log.entries(next, log.lastIndex() + 1, READ_BYTES)) {
                if (e.type() == EntryType.COMMAND) {
                    kv.apply(e.index(), e.data());
                } else {
                    kv.skip(e.index());
                }
                term = e.term();
                next = e.index() + 1;
            }
        }
        SnapshotBuffer out = new SnapshotBuffer();
        kv.writeSnapshot(out);
        return new Snapshot(new SnapshotMetadata(kv.appliedIndex(), term, alone), out.data());
    }
}
