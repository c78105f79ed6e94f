/**
 * The client API on the client port, as {@code openapi.yaml} specifies it: {@code /kv} (values,
 * conditions, listings, long polls), {@code /txn}, {@code /watch}, {@code /leases}, {@code /auth}, {@code /cluster}; strict parsing of paths, headers and bodies
 * into 4xx problems; routing to the leader (serve, {@code 307} with {@code Location}, or wait and then
 * {@code 503} with {@code Retry-After}); problem+json for every error, including those Tomcat answers
 * itself; the client server's Tomcat settings and the browser-safety headers.
 *
 * <p>May use {@code config}, {@code node}, {@code watch}, {@code raft}, {@code kv}, {@code security} and {@code http}.
 * Nothing below may use it; only {@code peer} borrows its error valve, so the peer port answers
 * errors in the same shape. It never steps the Raft core itself: every request goes through the
 * node's published status and its write and read calls.
 */
package io.raftkv.web;
