package io.raftkv.raft;

import java.util.List;

/**
 * What the driver must do after stepping a node, in this order:
 * <ol>
 *   <li>send the messages that are {@link Message#sendableBeforePersist() sendable before persisting} (optional: they may also wait);</li>
 *   <li>persist {@code snapshot}, {@code entries} and {@code hardState} durably ({@link RaftStorage#persist});</li>
 *   <li>send the remaining messages;</li>
 *   <li>restore the state machine from {@code snapshot} if there is one, then apply {@code committedEntries};</li>
 *   <li>serve {@code readStates} once their index is applied, and fail {@code failedReads} (their
 *       leader changed, or did not answer a forwarded read in time: serving them could be stale);</li>
 *   <li>call {@link RaftNode#advance(Ready)}.</li>
 * </ol>
 *
 * @param softState        the role, leader and term, when any of them changed; otherwise null
 * @param hardState        term and vote to persist, when changed; otherwise null
 * @param snapshot         a snapshot received from the leader, to persist and restore; otherwise null
 * @param entries          log entries to append (replacing any held entries from the first one's index on)
 * @param committedEntries committed, persisted entries to apply, in order
 * @param failedReads      request ids of reads this node will never confirm
 */
public record Ready(SoftState softState, HardState hardState, Snapshot snapshot, List<Entry> entries,
                    List<Entry> committedEntries, List<Message> messages, List<ReadState> readStates,
                    List<Long> failedReads) {

    public Ready {
        entries = List.copyOf(entries);
        committedEntries = List.copyOf(committedEntries);
        messages = List.copyOf(messages);
        readStates = List.copyOf(readStates);
        failedReads = List.copyOf(failedReads);
    }

    public boolean mustPersist() {
        return hardState != null || snapshot != null || !entries.isEmpty();
    }
}
