/**
 * The node's configuration and wiring: {@code raftkv.*} properties with their checks and defaults,
 * the bootstrap membership they name, the peer TLS taken from a Spring SSL bundle, and the beans
 * that build the node ({@code RaftKvNode}, from {@link io.raftkv.config.NodeParts}: the production
 * parts, or in-memory ones a test puts in the context) and give it its lifecycle and its clock.
 *
 * <p>Uses {@code node}, {@code raft} and {@code kv}, which it assembles. It may not use {@code web},
 * {@code security}, {@code peer}, {@code ops} or {@code http}: those read their settings from here, so
 * a dependency back would be a cycle. Anything web-specific (Tomcat customizers, error pages) lives
 * in {@code web}; the peer server is wired in {@code peer}.
 */
package io.raftkv.config;
