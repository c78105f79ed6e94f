package io.raftkv.kv;

import java.util.Objects;

/** Access to every key that starts with {@code prefix}; the empty prefix means every key. */
public record Permission(String prefix, Access access) {
    public Permission {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(access, "access");
        Utf8.requireWellFormed(prefix, "prefix");
    }
}
