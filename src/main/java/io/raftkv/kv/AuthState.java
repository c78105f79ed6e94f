package io.raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The replicated roles and tokens: an immutable value, replaced as a whole by every auth command
 * (they are rare), so request threads read one consistent version without locks. Maps are sorted
 * by name, which keeps snapshots byte-identical across replicas. Besides the names, it keeps a
 * hash-to-grant index built once per change, so authenticating a request is one map lookup.
 */
public final class AuthState {
    public static final AuthState EMPTY = new AuthState(new TreeMap<>(), new TreeMap<>());

    /** A stored token: its name, the SHA-256 of its secret and its role names in the order given. */
    public record StoredToken(String name, byte[] hash, List<String> roles) {
        public StoredToken {
            roles = List.copyOf(roles);
        }
    }

    private final TreeMap<String, Role> roles;
    private final TreeMap<String, StoredToken> tokens;
    private final Map<String, TokenGrant> grantsByHash;

    private AuthState(TreeMap<String, Role> roles, TreeMap<String, StoredToken> tokens) {
        this.roles = roles;
        this.tokens = tokens;
        Map<String, TokenGrant> index = new HashMap<>(tokens.size() * 2);
        for (StoredToken t : tokens.values()) {
            index.put(hashKey(t.hash()), grant(t, roles));
        }
        this.grantsByHash = index;
    }

    static AuthState of(List<Role> roles, List<StoredToken> tokens) {
        TreeMap<String, Role> r = new TreeMap<>();
        roles.forEach(role -> r.put(role.name(), role));
        TreeMap<String, StoredToken> t = new TreeMap<>();
        tokens.forEach(token -> t.put(token.name(), token));
        return new AuthState(r, t);
    }

    /** The result of applying a command: the next state (this one if nothing changed) and what to answer. */
    record Applied(AuthState state, WriteResult result) {
    }

    /** Deterministic: the outcome depends only on this state, the command and the log index. */
    Applied apply(long index, AuthCommand cmd) {
        if (cmd instanceof AuthCommand.PutRole p) {
            boolean created = !roles.containsKey(p.role().name());
            if (created && roles.size() >= AuthNames.MAX_ROLES) {
                return new Applied(this, new WriteResult.Refused("there are already " + AuthNames.MAX_ROLES + " roles, the most allowed"));
            }
            TreeMap<String, Role> next = new TreeMap<>(roles);
            next.put(p.role().name(), p.role());
            return new Applied(new AuthState(next, tokens), new WriteResult.Written(index, created));
        }
        if (cmd instanceof AuthCommand.DeleteRole d) {
            if (!roles.containsKey(d.name())) {
                return new Applied(this, WriteResult.NOT_FOUND);
            }
            TreeMap<String, Role> next = new TreeMap<>(roles);
            next.remove(d.name());
            // Revoke it everywhere, so a role created later under the same name grants nothing by surprise.
            TreeMap<String, StoredToken> nextTokens = new TreeMap<>();
            for (StoredToken t : tokens.values()) {
                nextTokens.put(t.name(), t.roles().contains(d.name())
                        ? new StoredToken(t.name(), t.hash(), t.roles().stream().filter(r -> !r.equals(d.name())).toList())
                        : t);
            }
            return new Applied(new AuthState(next, nextTokens), new WriteResult.Deleted(index));
        }
        if (cmd instanceof AuthCommand.PutToken p) {
            for (String r : p.roles()) {
                if (!roles.containsKey(r)) {
                    return new Applied(this, new WriteResult.Refused("there is no role '" + r + "'"));
                }
            }
            StoredToken existing = tokens.get(p.name());
            if (existing == null && tokens.size() >= AuthNames.MAX_TOKENS) {
                return new Applied(this, new WriteResult.Refused("there are already " + AuthNames.MAX_TOKENS + " tokens, the most allowed"));
            }
            String key = hashKey(p.hash());
            if (grantsByHash.containsKey(key) && (existing == null || !Arrays.equals(existing.hash(), p.hash()))) {
                // Two names for one secret would make deleting one of them not revoke the secret.
                return new Applied(this, new WriteResult.Refused("another token already has this secret"));
            }
            TreeMap<String, StoredToken> next = new TreeMap<>(tokens);
            next.put(p.name(), new StoredToken(p.name(), p.hash(), p.roles().stream().distinct().toList()));
            return new Applied(new AuthState(roles, next), new WriteResult.Written(index, existing == null));
        }
        AuthCommand.DeleteToken d = (AuthCommand.DeleteToken) cmd;
        if (!tokens.containsKey(d.name())) {
            return new Applied(this, WriteResult.NOT_FOUND);
        }
        TreeMap<String, StoredToken> next = new TreeMap<>(tokens);
        next.remove(d.name());
        return new Applied(new AuthState(roles, next), new WriteResult.Deleted(index));
    }

    /** The grant of the token whose secret hashes to {@code sha256}, if there is one. Any thread. */
    public Optional<TokenGrant> grantForHash(byte[] sha256) {
        return Optional.ofNullable(grantsByHash.get(hashKey(sha256)));
    }

    public Optional<Role> role(String name) {
        return Optional.ofNullable(roles.get(name));
    }

    /** Every role, sorted by name. */
    public List<Role> roles() {
        return List.copyOf(roles.values());
    }

    public Optional<StoredToken> token(String name) {
        return Optional.ofNullable(tokens.get(name));
    }

    /** Every token, sorted by name. */
    public List<StoredToken> tokens() {
        return List.copyOf(tokens.values());
    }

    public boolean isEmpty() {
        return roles.isEmpty() && tokens.isEmpty();
    }

    /** 32 hash bytes as a 32-char string: cheap to hash and compare, and usable as a map key. */
    private static String hashKey(byte[] hash) {
        return new String(hash, StandardCharsets.ISO_8859_1);
    }

    private static TokenGrant grant(StoredToken t, Map<String, Role> roles) {
        List<String> read = new ArrayList<>();
        List<String> write = new ArrayList<>();
        for (String roleName : t.roles()) {
            Role role = roles.get(roleName);
            if (role == null) {
                continue;
            }
            for (Permission p : role.permissions()) {
                if (p.access().allowsRead()) {
                    read.add(p.prefix());
                }
                if (p.access().allowsWrite()) {
                    write.add(p.prefix());
                }
            }
        }
        return new TokenGrant(t.name(), TokenGrant.minimal(read), TokenGrant.minimal(write));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AuthState s) || !s.roles.equals(roles) || !s.tokens.keySet().equals(tokens.keySet())) {
            return false;
        }
        for (StoredToken t : tokens.values()) {
            StoredToken u = s.tokens.get(t.name());
            if (!Arrays.equals(t.hash(), u.hash()) || !t.roles().equals(u.roles())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return roles.hashCode() * 31 + tokens.keySet().hashCode();
    }

    @Override
    public String toString() {
        return "AuthState[roles=" + roles.keySet() + ", tokens=" + tokens.keySet() + "]";
    }
}
