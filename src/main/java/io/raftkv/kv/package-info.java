/**
 * The replicated key-value state machine. Pure Java: no Spring, no threads, no clocks, no files.
 *
 * <p>The Raft layer hands {@link io.raftkv.kv.KvStateMachine} committed entries in index order on one
 * apply thread: {@link io.raftkv.kv.KvCommand}s go to {@code apply}, no-op and membership entries to
 * {@code skip}. HTTP threads read concurrently with {@code get} and {@code list}. A write's revision is
 * its log index; conditional writes use {@link io.raftkv.kv.Precondition}; writes with an idempotency
 * key are answered from a table on retry, which expires by the commands' own timestamps so that every
 * replica stays identical. The roles and tokens of client authentication are replicated here too
 * ({@link io.raftkv.kv.AuthCommand}, {@link io.raftkv.kv.AuthState}). Snapshots stream in a versioned,
 * checksummed binary format.
 *
 * <p>Byte arrays: a PUT's value is copied when it is applied; the arrays inside returned
 * {@link io.raftkv.kv.KeyValue}s are shared with the store and must be treated as read-only.
 *
 * <p>May use no other raftkv package, not even {@code raft}: the node hands it entries' bytes and
 * indexes, so the state machine can be tested, and replayed, on its own.
 */
package io.raftkv.kv;
