package io.raftkv.raft;

/** What a log entry carries. */
public enum EntryType {
    /** An opaque command for the replicated state machine. */
    COMMAND,
    /** The empty entry a new leader appends so that it can commit entries of earlier terms (§5.4.2). */
    NOOP,
    /** A new voter list; it takes effect as soon as it is appended (dissertation §4.1). */
    MEMBERSHIP
}
