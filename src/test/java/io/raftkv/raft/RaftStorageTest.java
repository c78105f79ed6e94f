package io.raftkv.raft;

import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RaftStorageTest {
    private static final Membership ONE = new Membership(List.of(new Peer("n1", "")));

    private static RaftStorage withLog(int entries, long term) {
        RaftStorage s = new RaftStorage(new MemoryLogStore(), new MemoryStableStore(), new MemorySnapshotStore());
        s.bootstrap(ONE);
        List<Entry> log = new ArrayList<>();
        for (int i = 1; i <= entries; i++) {
            log.add(Entry.command(i, term, new byte[] {1}));
        }
        s.log().append(log);
        return s;
    }

    private static Snapshot snapshotAt(long index, long term) {
        return new Snapshot(new SnapshotMetadata(index, term, ONE), new byte[0]);
    }

    @Test
    void recoveryKeepsTheTrailingEntriesOfALogThatHoldsTheSnapshotsLastEntry() {
        RaftStorage s = withLog(100, 1);
        s.snapshots().save(snapshotAt(80, 1));
        s.recover();
        assertThat(s.log().firstIndex()).isEqualTo(1);
        assertThat(s.log().lastIndex()).isEqualTo(100);
    }

    @Test
    void recoveryReplacesALogThatDoesNotReachTheSnapshot() {
        // A crash after a received snapshot was saved but before the log was reset to it.
        RaftStorage s = withLog(100, 1);
        s.snapshots().save(snapshotAt(120, 2));
        s.recover();
        assertThat(s.log().firstIndex()).isEqualTo(121);
        assertThat(s.log().term(120)).isEqualTo(2);
    }

    @Test
    void recoveryReplacesALogWhoseEntryAtTheSnapshotHasAnotherTerm() {
        RaftStorage s = withLog(100, 1);
        s.snapshots().save(snapshotAt(90, 3));
        s.recover();
        assertThat(s.log().lastIndex()).isEqualTo(90);
        assertThat(s.log().term(90)).isEqualTo(3);
    }

    @Test
    void compactionKeepsTheTrailingWindowAndBootstrapRefusesAnExistingCluster() {
        RaftStorage s = withLog(100, 1);
        s.compactTo(snapshotAt(90, 1), 30);
        assertThat(s.log().firstIndex()).isEqualTo(61);
        assertThat(s.snapshots().latest().index()).isEqualTo(90);
        assertThatThrownBy(() -> s.bootstrap(ONE)).isInstanceOf(IllegalStateException.class);
    }
}
