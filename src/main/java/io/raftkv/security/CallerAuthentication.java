package io.raftkv.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/** A request authenticated by its bearer token; the root token carries {@code ROLE_ROOT}. */
final class CallerAuthentication extends AbstractAuthenticationToken {
    static final String ROOT_AUTHORITY = "ROLE_ROOT";

    private final Caller caller;

    CallerAuthentication(Caller caller) {
        super(caller.root() ? AuthorityUtils.createAuthorityList(ROOT_AUTHORITY) : AuthorityUtils.NO_AUTHORITIES);
        this.caller = caller;
        setAuthenticated(true);
    }

    @Override
    public Object getCredentials() {
        return ""; // the secret is never kept
    }

    @Override
    public Caller getPrincipal() {
        return caller;
    }

    @Override
    public String getName() {
        return caller.name();
    }
}
