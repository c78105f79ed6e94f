package io.raftkv.node;

import io.raftkv.raft.InstallSnapshot;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.storage.DurableSnapshotStore;
import io.raftkv.raft.storage.SnapshotReceiver;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reassembles a snapshot a leader streams in chunks. The chunks go to a temporary file that is
 * checked when the last one arrives; only then does the core see an InstallSnapshot, whose snapshot
 * is installed by renaming that file. A chunk out of order aborts the transfer (the leader retries).
 */
public final class SnapshotInbox {
    private record Transfer(String from, long term, long index, long snapshotTerm, SnapshotReceiver receiver) {
    }

    private final String selfId;
    private final DurableSnapshotStore store;
    private final Consumer<List<io.raftkv.raft.Message>> deliver;
    private final Map<String, Transfer> transfers = new HashMap<>();

    public SnapshotInbox(String selfId, DurableSnapshotStore store, Consumer<List<io.raftkv.raft.Message>> deliver) {
        this.selfId = selfId;
        this.store = store;
        this.deliver = deliver;
    }

    /** Takes one chunk; returns false if it does not continue the transfer in progress from {@code from}. */
    public synchronized boolean accept(String from, long term, long index, long snapshotTerm, long offset, boolean last,
                                       byte[] data) throws IOException {
        Transfer t = transfers.get(from);
        if (offset == 0) {
            if (t != null) {
                t.receiver().close();
            }
            t = new Transfer(from, term, index, snapshotTerm, store.receive());
            transfers.put(from, t);
        } else if (t == null || t.term() != term || t.index() != index || t.snapshotTerm() != snapshotTerm
                || t.receiver().received() != offset) {
            abort(from);
            return false;
        }
        try {
            t.receiver().accept(offset, data);
            if (last) {
                transfers.remove(from);
                Snapshot snapshot = t.receiver().finish();
                if (snapshot.index() != index || snapshot.term() != snapshotTerm) {
                    throw new IOException("the snapshot received is " + snapshot.index() + "@" + snapshot.term()
                            + ", not the announced " + index + "@" + snapshotTerm);
                }
                deliver.accept(List.of(new InstallSnapshot(from, selfId, term, snapshot)));
            }
            return true;
        } catch (IOException | RuntimeException e) {
            abort(from);
            throw e;
        }
    }

    private void abort(String from) throws IOException {
        Transfer t = transfers.remove(from);
        if (t != null) {
            t.receiver().close();
        }
    }
}
