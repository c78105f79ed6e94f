/**
 * The Raft core's storage on disk: the segmented write-ahead log (with group commit), the hard-state
 * file, snapshot files written atomically and streamed in chunks, a shared health that stops every
 * write after the first failure, and in-memory twins of each store for tests and the simulator.
 * All file access goes through {@link io.raftkv.raft.storage.Disk}, so tests can inject faults.
 *
 * <p>Implements the storage interfaces of {@code raft} and may use nothing else of raftkv (no
 * {@code kv}, {@code node}, Spring or sockets): what it stores are Raft entries and opaque snapshot
 * bytes.
 */
package io.raftkv.raft.storage;
