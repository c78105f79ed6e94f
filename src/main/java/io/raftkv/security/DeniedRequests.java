package io.raftkv.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * Counts refused client requests ({@code raftkv_auth_denied_total}), so that guessing, a client
 * with a revoked token or a role missing a permission shows on a dashboard rather than only in
 * client logs.
 */
@Component
final class DeniedRequests {
    private final Counter missingToken;
    private final Counter invalidToken;
    private final Counter forbidden;

    DeniedRequests(MeterRegistry registry) {
        this.missingToken = counter(registry, "missing-token");
        this.invalidToken = counter(registry, "invalid-token");
        this.forbidden = counter(registry, "forbidden");
    }

    private static Counter counter(MeterRegistry registry, String reason) {
        return Counter.builder("raftkv.auth.denied").tag("reason", reason)
                .description("client requests refused with 401 (missing or invalid token) or 403 (forbidden)")
                .register(registry);
    }

    void unauthorized(boolean tokenGiven) {
        (tokenGiven ? invalidToken : missingToken).increment();
    }

    void forbidden() {
        forbidden.increment();
    }
}
