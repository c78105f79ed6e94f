package io.raftkv.web;

import io.raftkv.kv.Access;
import io.raftkv.kv.AuthNames;
import io.raftkv.kv.Permission;
import io.raftkv.kv.Role;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Strict parsing of the /auth request bodies: anything unexpected is a 400 that says what. */
final class AuthRequests {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    /** A role of 100 permissions with 4 KiB prefixes fits; anything bigger is not a role. */
    private static final int MAX_BODY = 512 * 1024;

    private AuthRequests() {
    }

    /** {@code {"permissions":[{"prefix":"app/","access":"read"}]}} */
    static Role role(String name, HttpServletRequest req) {
        JsonNode body = object(req, Set.of("permissions"));
        JsonNode perms = body.get("permissions");
        if (perms == null || !perms.isArray()) {
            throw bad("the body must have a 'permissions' array, e.g. {\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}");
        }
        if (perms.size() > AuthNames.MAX_PERMISSIONS) {
            throw bad("a role has at most " + AuthNames.MAX_PERMISSIONS + " permissions, not " + perms.size());
        }
        List<Permission> list = new ArrayList<>();
        int i = 0;
        for (JsonNode p : perms.values()) {
            if (!p.isObject() || !Set.of("prefix", "access").containsAll(p.propertyNames())) {
                throw bad("permission #" + i + " must be an object with only 'prefix' and 'access'");
            }
            JsonNode prefix = p.get("prefix");
            JsonNode access = p.get("access");
            if (prefix == null || !prefix.isString()) {
                throw bad("permission #" + i + " needs a string 'prefix' (\"\" means every key)");
            }
            if (prefix.stringValue().getBytes(StandardCharsets.UTF_8).length > AuthNames.MAX_PREFIX_BYTES) {
                throw bad("permission #" + i + ": a prefix has at most " + AuthNames.MAX_PREFIX_BYTES + " bytes");
            }
            if (access == null || !access.isString()) {
                throw bad("permission #" + i + " needs 'access': 'read', 'write' or 'readwrite'");
            }
            try {
                list.add(new Permission(prefix.stringValue(), Access.parse(access.stringValue())));
            } catch (IllegalArgumentException e) {
                throw bad("permission #" + i + ": " + e.getMessage());
            }
            i++;
        }
        return new Role(name, list);
    }

    /** {@code {"roles":["reader"]}} */
    static List<String> tokenRoles(HttpServletRequest req) {
        JsonNode body = object(req, Set.of("roles"));
        JsonNode roles = body.get("roles");
        if (roles == null || !roles.isArray()) {
            throw bad("the body must have a 'roles' array of role names, e.g. {\"roles\":[\"reader\"]}");
        }
        if (roles.size() > AuthNames.MAX_ROLES_PER_TOKEN) {
            throw bad("a token has at most " + AuthNames.MAX_ROLES_PER_TOKEN + " roles, not " + roles.size());
        }
        List<String> names = new ArrayList<>();
        for (JsonNode r : roles.values()) {
            if (!r.isString() || !AuthNames.isValid(r.stringValue())) {
                throw bad("role names are strings of 1-63 letters, digits, '.', '_' or '-'; got " + r);
            }
            names.add(r.stringValue());
        }
        return names;
    }

    private static JsonNode object(HttpServletRequest req, Set<String> allowed) {
        JsonNode node;
        try {
            node = JSON.readTree(read(req));
        } catch (JacksonException e) {
            throw bad("the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw bad("the body must be a JSON object");
        }
        for (String p : node.propertyNames()) {
            if (!allowed.contains(p)) {
                throw bad("unknown property '" + p + "'; expected only " + allowed);
            }
        }
        return node;
    }

    private static byte[] read(HttpServletRequest req) {
        if (req.getContentLengthLong() > MAX_BODY) {
            throw tooLarge();
        }
        try (InputStream in = req.getInputStream()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw tooLarge();
            }
            return b;
        } catch (IOException e) {
            throw bad("the body could not be read: " + e.getMessage());
        }
    }

    private static BadRequestException tooLarge() {
        return new BadRequestException(HttpStatus.CONTENT_TOO_LARGE, "body-too-large",
                "an /auth request body has at most " + MAX_BODY + " bytes");
    }

    private static BadRequestException bad(String detail) {
        return BadRequestException.badRequest("bad-auth-request", detail);
    }
}
