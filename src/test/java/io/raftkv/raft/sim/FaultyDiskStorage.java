package io.raftkv.raft.sim;

import io.raftkv.raft.Membership;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.storage.DurableStorage;
import io.raftkv.raft.storage.FaultyDisk;
import io.raftkv.raft.storage.StorageOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The real durable stores on one simulated disk per node. A crash is a power cut: the disk keeps
 * what was synced plus a random prefix of what was not, possibly with a torn last write, and the
 * node reopens (and recovers) its storage when it restarts. Small segments make the simulation roll,
 * truncate and compact across segment files.
 */
public final class FaultyDiskStorage implements Simulation.StorageFactory {
    private static final Path DIR = Path.of("/raftkv-data");
    private static final StorageOptions OPTIONS = StorageOptions.defaults().withSegmentBytes(8192).withCache(64, 1 << 16);

    /**
     * Every simulated power cut leaves a torn tail to cut off; the warnings would drown the sweep's
     * output. Held here because java.util.logging keeps loggers only weakly: a level set on one that
     * nobody holds is lost at the next garbage collection.
     */
    private static final java.util.logging.Logger STORAGE_LOG = java.util.logging.Logger.getLogger(
            DurableStorage.class.getPackageName());

    static {
        STORAGE_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private final Map<String, FaultyDisk> disks = new HashMap<>();
    private final Map<String, Random> randoms = new HashMap<>();

    @Override
    public Supplier<RaftStorage> storageFor(String nodeId, Membership membership, Random random) {
        FaultyDisk disk = new FaultyDisk();
        disks.put(nodeId, disk);
        randoms.put(nodeId, random);
        boolean[] bootstrapped = {false};
        return () -> {
            try {
                RaftStorage s = DurableStorage.open(disk, DIR, OPTIONS);
                if (!bootstrapped[0]) {
                    s.bootstrap(membership);
                    bootstrapped[0] = true;
                }
                return s;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    @Override
    public void crash(String nodeId) {
        disks.get(nodeId).crash(randoms.get(nodeId));
    }

    /** The next write on this node's disk dies after {@code steps} more disk operations: a power cut mid-write. */
    @Override
    public void haltSoon(String nodeId, int steps) {
        disks.get(nodeId).haltAfter(steps);
    }
}
