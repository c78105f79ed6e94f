package io.raftkv.security;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Page;
import io.raftkv.kv.TokenGrant;

import java.util.List;

/**
 * Who sent a request, as the bearer-token filter established it: the root token (may do
 * everything), a replicated token with its flattened grant and the SHA-256 of the secret it
 * presented (so a long request can tell later whether that secret is still valid), or {@link #OPEN}
 * when client authentication is off.
 */
public record Caller(String name, boolean root, TokenGrant grant, byte[] tokenHash) {
    static final Caller OPEN = new Caller("anonymous (client authentication is off)", true, null, null);
    static final Caller ROOT = new Caller("root", true, null, null);

    static Caller of(TokenGrant grant, byte[] tokenHash) {
        return new Caller(grant.tokenName(), false, grant, tokenHash.clone());
    }

    public boolean canRead(String key) {
        return root || grant.canRead(key);
    }

    public boolean canWrite(String key) {
        return root || grant.canWrite(key);
    }

    /** A page of the keys this caller may read; a caller that may read nothing gets empty pages. */
    public Page list(KvStateMachine data, String prefix, String startAfter, int limit) {
        if (root || grant.readsEverything()) {
            return data.list(prefix, startAfter, limit);
        }
        return ReadableListing.list(data, grant.readPrefixes(), prefix, startAfter, limit);
    }

    List<String> readPrefixes() {
        return root ? List.of("") : grant.readPrefixes();
    }
}
