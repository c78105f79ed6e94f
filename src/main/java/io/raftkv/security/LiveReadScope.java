package io.raftkv.security;

import io.raftkv.kv.AuthState;
import io.raftkv.kv.TokenGrant;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Whether a long-lived read (a watch) may go on after the replicated roles and tokens change. It is
 * allowed when it starts; afterwards the secret it presented must still be a token's, and that token
 * must still read every key the read could reach when it started. Keys that became unreadable are not
 * quietly filtered out: the stream's events, replayed, would no longer match what the caller can
 * list, and a narrowing it was never told of looks like keys that stopped changing. The caller is
 * told instead, and may reconnect for what it may read now.
 */
public final class LiveReadScope {
    private final Caller caller;
    private final boolean key;
    /** The prefixes (a key counts as one) within the watched range that the caller could read at the start. */
    private final List<String> scope;
    private final Supplier<AuthState> auth;

    private LiveReadScope(Caller caller, boolean key, List<String> scope, Supplier<AuthState> auth) {
        this.caller = caller;
        this.key = key;
        this.scope = scope;
        this.auth = auth;
    }

    /** For a watch of one key. */
    public static LiveReadScope ofKey(Caller caller, String key, Supplier<AuthState> auth) {
        return new LiveReadScope(caller, true, List.of(key), auth);
    }

    /** For a watch of every key under {@code prefix} that the caller may read. */
    public static LiveReadScope ofPrefix(Caller caller, String prefix, Supplier<AuthState> auth) {
        List<String> scope = new ArrayList<>();
        for (String p : caller.readPrefixes()) {
            if (prefix.startsWith(p)) {
                scope = List.of(prefix);
                break;
            }
            if (p.startsWith(prefix)) {
                scope.add(p);
            }
        }
        return new LiveReadScope(caller, false, List.copyOf(scope), auth);
    }

    /** Null while the caller may still read all of its scope in the current roles and tokens; else why not. */
    public String revoked() {
        if (caller.root()) {
            return null; // the root token and an open node are configuration, not replicated state
        }
        Optional<TokenGrant> now = auth.get().grantForHash(caller.tokenHash());
        if (now.isEmpty()) {
            return "the token '" + caller.name() + "' was deleted or given a new secret since this watch started";
        }
        for (String s : scope) {
            if (!now.get().canRead(s)) {
                return "the token '" + caller.name() + "' may no longer read " + (key ? "the key '" : "the keys under '") + s
                        + "': its roles changed since this watch started";
            }
        }
        return null;
    }
}
