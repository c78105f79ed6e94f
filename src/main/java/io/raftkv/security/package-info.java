/**
 * Client authentication and authorization: one stateless Spring Security chain with bearer tokens
 * (the root token, and the roles and tokens replicated through the log by {@code kv}), the
 * permission hooks handlers call ({@link io.raftkv.security.Callers}), listings that show only
 * readable keys, and 401/403 as problem+json.
 *
 * <p>May use {@code config} (the root token setting), {@code node} and {@code kv} (the applied auth
 * state) and {@code http} (the problem body). It may not use {@code web}: the web layer calls the
 * hooks here, so a dependency back would be a cycle.
 */
package io.raftkv.security;
