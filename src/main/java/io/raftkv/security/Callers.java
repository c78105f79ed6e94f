package io.raftkv.security;

import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The permission hooks handlers call on the request thread (the security context is per thread:
 * capture the caller before going asynchronous). With no authenticated caller they deny: only the
 * bearer-token filter puts one there, and it always does when authentication is off.
 */
public final class Callers {
    private Callers() {
    }

    /** The caller of the current request. */
    public static Caller current() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        if (a instanceof CallerAuthentication c) {
            return c.getPrincipal();
        }
        throw new AccessDeniedException("this request carries no authenticated caller");
    }

    public static void requireRead(String key) {
        Caller c = current();
        if (!c.canRead(key)) {
            throw new AccessDeniedException("the token '" + c.name() + "' may not read the key '" + key + "'");
        }
    }

    public static void requireWrite(String key) {
        Caller c = current();
        if (!c.canWrite(key)) {
            throw new AccessDeniedException("the token '" + c.name() + "' may not write the key '" + key + "'");
        }
    }

    /**
     * Only the root token manages roles and tokens. With authentication off nobody does: roles and
     * tokens planted on an open cluster would come into force the moment a root token is set.
     */
    public static void requireRoot() {
        Caller c = current();
        if (c == Caller.OPEN) {
            throw new AccessDeniedException("roles and tokens are managed with the root token, and client authentication "
                    + "is off on this node: set raftkv.auth.root-token (the same on every node) to turn it on");
        }
        if (!c.root()) {
            throw new AccessDeniedException("only the root token may manage roles and tokens; '" + c.name() + "' is not root");
        }
    }

    /**
     * Cluster administration (membership changes): the root token when authentication is on; anyone
     * when it is off, as every key is then (the node warns about that at start).
     */
    public static void requireAdmin() {
        Caller c = current();
        if (c != Caller.OPEN && !c.root()) {
            throw new AccessDeniedException("only the root token may change the cluster's membership; '" + c.name() + "' is not root");
        }
    }
}
