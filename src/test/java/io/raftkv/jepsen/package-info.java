/**
 * Jepsen-style verification of raftkv against real clusters.
 *
 * <p>{@link io.raftkv.jepsen.JepsenRun} runs one {@link io.raftkv.jepsen.Schedule}: eight
 * {@link io.raftkv.jepsen.RecordingClient}s issue GET, PUT, DELETE and compare-and-set (If-Match /
 * If-None-Match) on five shared keys, with a unique value per write and an Idempotency-Key on every
 * write, while the {@link io.raftkv.jepsen.Nemesis} kills, pauses, partitions or degrades the
 * network at the schedule's offsets and an {@link io.raftkv.jepsen.ElectionMonitor} records every
 * election. When the load ends everything is healed, every key is read once more, and every
 * acknowledged write is sent again with its Idempotency-Key.
 *
 * <p>What the client records is what it can prove. An operation's interval runs from its first
 * attempt to the answer that settled it; retries (after 503 no-leader / not-applied / read-timeout,
 * a refused connection, or, for writes, a timeout or 503 outcome-unknown, always with the same
 * Idempotency-Key) are the same operation. A write is FAILED only if every attempt certainly had no
 * effect, UNKNOWN if any attempt might have; a 412 is a successful compare-and-set that was refused.
 *
 * <p>The checks ({@link io.raftkv.jepsen.JepsenAssertions}): the history is linearizable
 * ({@link io.raftkv.check.LinearizabilityChecker}); every acknowledged write is readable at the end
 * ({@link io.raftkv.jepsen.Analysis#lostWrites}); no write applies twice (re-sent writes get the
 * same status and revision, the state does not change, no value appears at two revisions); the only
 * 5xx is a 503 of an election or partition, overlapping one; and failed operations stay within the
 * schedule's budget (none for simple and unreliable, 2% otherwise).
 *
 * <p>{@link io.raftkv.jepsen.Report} writes {@code target/jepsen/<schedule>/} (summary.md,
 * summary.json, history.txt with every HTTP exchange, timeline.png) and the table
 * {@code target/jepsen/summary.md}. Time 0 of a run is its {@code startedAt}, to line up with node logs.
 *
 * <p>Issue 13's coordination checks bring their own loads and judges, under a schedule's faults
 * ({@link io.raftkv.jepsen.Faults}): watches ({@link io.raftkv.jepsen.WatchCheck}, judged by
 * {@link io.raftkv.jepsen.WatchAnalysis}), leases ({@link io.raftkv.jepsen.LeaseCheck},
 * {@link io.raftkv.jepsen.LeaseAnalysis}) and transactions as bank transfers
 * ({@link io.raftkv.jepsen.BankCheck}, {@link io.raftkv.jepsen.BankAnalysis}); they run in
 * {@code JepsenCoordinationIT} (processes) and {@code JepsenCoordinationNetworkIT} (containers, partitions).
 */
package io.raftkv.jepsen;
