/**
 * What every HTTP server of a node shares and nothing else: the hand-written problem+json body
 * ({@link io.raftkv.http.ProblemJson}) and its type URIs. It is a package of its own so that the
 * client API ({@code web}), the security chain ({@code security}) and the peer server ({@code peer})
 * can all answer alike without depending on one another.
 *
 * <p>May not use any other raftkv package: it sits below everything that speaks HTTP.
 */
package io.raftkv.http;
