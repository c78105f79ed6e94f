package io.raftkv.kv;

import java.util.regex.Pattern;

/** The rules for role and token names and the bounds on the auth state, shared by the API and the codecs. */
public final class AuthNames {
    /** Names travel in URL paths and logs: keep them plain. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    public static final int MAX_PERMISSIONS = 100;
    public static final int MAX_ROLES_PER_TOKEN = 100;
    public static final int MAX_ROLES = 1_000;
    public static final int MAX_TOKENS = 10_000;
    public static final int MAX_PREFIX_BYTES = 4096;

    private AuthNames() {
    }

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    static String require(String name, String what) {
        if (!isValid(name)) {
            throw new IllegalArgumentException(what + " must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit (got '" + name + "')");
        }
        return name;
    }
}
