package io.raftkv.security;

import io.raftkv.kv.AuthState;
import io.raftkv.kv.TokenGrant;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Authenticates a request by its {@code Authorization: Bearer} token against the root token and the
 * roles and tokens this node has applied: one SHA-256 and one map lookup. No header: the request goes
 * on anonymous, and the authorization rules decide (probes are open, the rest answers 401). A header
 * that is not a known token is a 401 at once, whatever the path: a wrong token is a mistake worth
 * reporting, not something to ignore. With authentication off ({@code root == null}) every request
 * is the {@link Caller#OPEN} caller, which may do everything.
 */
final class BearerTokenFilter extends OncePerRequestFilter {
    private static final String BEARER = "Bearer ";

    private final RootToken root;
    private final Supplier<AuthState> state;
    private final AuthenticationEntryPoint entryPoint;
    private final SecurityContextHolderStrategy contexts = SecurityContextHolder.getContextHolderStrategy();

    BearerTokenFilter(RootToken root, Supplier<AuthState> state, AuthenticationEntryPoint entryPoint) {
        this.root = root;
        this.state = state;
        this.entryPoint = entryPoint;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        if (root == null) {
            authenticate(Caller.OPEN);
            chain.doFilter(req, resp);
            return;
        }
        String header = req.getHeader("Authorization");
        if (header == null) {
            chain.doFilter(req, resp);
            return;
        }
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length()) || header.length() == BEARER.length()) {
            entryPoint.commence(req, resp, new BadCredentialsException(
                    "the Authorization header must be 'Bearer <token>'"));
            return;
        }
        byte[] hash = BearerSecrets.sha256(header.substring(BEARER.length()).strip());
        Caller caller;
        if (root.matches(hash)) {
            caller = Caller.ROOT;
        } else {
            Optional<TokenGrant> grant = state.get().grantForHash(hash);
            if (grant.isEmpty()) {
                entryPoint.commence(req, resp, new BadCredentialsException(
                        "the bearer token is not valid on this node: unknown, deleted or rotated"));
                return;
            }
            caller = Caller.of(grant.get(), hash);
        }
        authenticate(caller);
        chain.doFilter(req, resp);
    }

    private void authenticate(Caller caller) {
        SecurityContext context = contexts.createEmptyContext();
        context.setAuthentication(new CallerAuthentication(caller));
        contexts.setContext(context);
    }
}
