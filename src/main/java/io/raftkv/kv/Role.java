package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/** A named set of prefix permissions that tokens refer to by name. */
public record Role(String name, List<Permission> permissions) {
    public Role {
        AuthNames.require(name, "role name");
        permissions = List.copyOf(Objects.requireNonNull(permissions, "permissions"));
        if (permissions.size() > AuthNames.MAX_PERMISSIONS) {
            throw new IllegalArgumentException("a role has at most " + AuthNames.MAX_PERMISSIONS + " permissions");
        }
    }
}
