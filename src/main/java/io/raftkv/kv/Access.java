package io.raftkv.kv;

import java.util.Locale;

/** What a role's permission allows on the keys under its prefix. */
public enum Access {
    READ, WRITE, READWRITE;

    public boolean allowsRead() {
        return this != WRITE;
    }

    public boolean allowsWrite() {
        return this != READ;
    }

    /** The JSON and wire name: {@code read}, {@code write} or {@code readwrite}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static Access parse(String s) {
        if (s != null) {
            for (Access a : values()) {
                if (a.wireName().equals(s)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("access must be 'read', 'write' or 'readwrite' (got '" + s + "')");
    }
}
