package io.raftkv.web;

import io.raftkv.kv.TxnCommand;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict parsing of a {@code POST /txn} body into a {@link TxnCommand}: anything unexpected is a 400
 * that says what, and nothing is proposed.
 */
final class TxnRequests {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Map<String, TxnCommand.Target> TARGETS = Map.of("value", TxnCommand.Target.VALUE,
            "modRevision", TxnCommand.Target.MOD_REVISION, "createRevision", TxnCommand.Target.CREATE_REVISION,
            "version", TxnCommand.Target.VERSION);
    private static final Map<String, TxnCommand.Operator> OPERATORS = Map.of("==", TxnCommand.Operator.EQUAL,
            "!=", TxnCommand.Operator.NOT_EQUAL, "<", TxnCommand.Operator.LESS, ">", TxnCommand.Operator.GREATER);

    /** What a transaction may hold, from the node's limits. */
    record Bounds(int maxOps, long maxKeyBytes) {
    }

    private TxnRequests() {
    }

    static TxnCommand parse(byte[] body, Bounds bounds, String idempotencyKey, long proposedAtMillis) {
        try {
            return parseStrictly(body, bounds, idempotencyKey, proposedAtMillis);
        } catch (IllegalArgumentException e) {
            // what the command's own constructors refuse: a key with an unpaired surrogate, a key written twice
            throw bad(e.getMessage());
        }
    }

    private static TxnCommand parseStrictly(byte[] body, Bounds bounds, String idempotencyKey, long proposedAtMillis) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw bad("the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad("the body must be a JSON object with 'compare', 'success' and 'failure' arrays");
        }
        only(root, Set.of("compare", "success", "failure"), "the transaction");
        List<TxnCommand.Compare> compare = new ArrayList<>();
        for (JsonNode c : array(root, "compare")) {
            compare.add(compare(c, compare.size(), bounds));
        }
        List<TxnCommand.Op> success = ops(array(root, "success"), "success", bounds);
        List<TxnCommand.Op> failure = ops(array(root, "failure"), "failure", bounds);
        int total = compare.size() + success.size() + failure.size();
        if (total > bounds.maxOps()) {
            throw new BadRequestException(HttpStatus.CONTENT_TOO_LARGE, "txn-too-large", "a transaction has at most "
                    + bounds.maxOps() + " comparisons and operations together (raftkv.txn.max-ops), not " + total);
        }
        return new TxnCommand(compare, success, failure, idempotencyKey, proposedAtMillis);
    }

    private static TxnCommand.Compare compare(JsonNode c, int i, Bounds bounds) {
        String where = "compare #" + i;
        if (!c.isObject()) {
            throw bad(where + " must be an object like {\"key\":\"a\",\"target\":\"modRevision\",\"op\":\"==\",\"value\":5}");
        }
        only(c, Set.of("key", "target", "op", "value", "valueBase64"), where);
        String key = key(c, where, bounds);
        TxnCommand.Target target = TARGETS.get(text(c, "target", where));
        if (target == null) {
            throw bad(where + ": 'target' is one of " + TARGETS.keySet());
        }
        TxnCommand.Operator op = OPERATORS.get(text(c, "op", where));
        if (op == null) {
            throw bad(where + ": 'op' is one of " + OPERATORS.keySet());
        }
        if (target == TxnCommand.Target.VALUE) {
            return new TxnCommand.Compare(key, target, op, 0, value(c, where, true));
        }
        JsonNode v = field(c, "value");
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0 || c.hasNonNull("valueBase64")) {
            throw bad(where + ": a " + text(c, "target", where) + " comparison needs a whole number 'value' of 0 or more");
        }
        return new TxnCommand.Compare(key, target, op, v.longValue(), null);
    }

    private static List<TxnCommand.Op> ops(List<JsonNode> nodes, String branch, Bounds bounds) {
        List<TxnCommand.Op> ops = new ArrayList<>();
        for (JsonNode o : nodes) {
            String where = branch + " #" + ops.size();
            if (!o.isObject()) {
                throw bad(where + " must be an object like {\"op\":\"put\",\"key\":\"a\",\"value\":\"x\"}");
            }
            String kind = text(o, "op", where);
            String key = key(o, where, bounds);
            ops.add(switch (kind) {
                case "put" -> {
                    only(o, Set.of("op", "key", "value", "valueBase64", "contentType", "lease"), where);
                    JsonNode ct = field(o, "contentType");
                    if (ct != null && (!ct.isString() || ct.stringValue().length() > 256)) {
                        throw bad(where + ": 'contentType' is a media type of at most 256 characters");
                    }
                    JsonNode lease = field(o, "lease");
                    if (lease != null && (!lease.isIntegralNumber() || !lease.canConvertToLong() || lease.longValue() < 1)) {
                        throw bad(where + ": 'lease' is the id of a lease (a positive number)");
                    }
                    byte[] value = value(o, where, false);
                    String contentType = ct != null ? ct.stringValue()
                            : o.hasNonNull("valueBase64") ? "application/octet-stream" : "text/plain; charset=utf-8";
                    yield new TxnCommand.Put(key, value, contentType, lease == null ? 0 : lease.longValue());
                }
                case "delete" -> {
                    only(o, Set.of("op", "key"), where);
                    yield new TxnCommand.Delete(key);
                }
                case "get" -> {
                    only(o, Set.of("op", "key"), where);
                    yield new TxnCommand.Get(key);
                }
                default -> throw bad(where + ": 'op' is 'put', 'delete' or 'get', not '" + kind + "'");
            });
        }
        return ops;
    }

    /** {@code value} as UTF-8 text or {@code valueBase64}: exactly one of them. */
    private static byte[] value(JsonNode o, String where, boolean comparing) {
        JsonNode text = field(o, "value");
        JsonNode b64 = field(o, "valueBase64");
        if ((text == null) == (b64 == null)) {
            throw bad(where + ": give the value as text in 'value' or as base64 in 'valueBase64' (one of them)");
        }
        if (text != null) {
            if (!text.isString()) {
                throw bad(where + ": 'value' must be a string" + (comparing ? " for a value comparison" : ""));
            }
            return text.stringValue().getBytes(StandardCharsets.UTF_8);
        }
        if (!b64.isString()) {
            throw bad(where + ": 'valueBase64' must be a base64 string");
        }
        try {
            return Base64.getDecoder().decode(b64.stringValue());
        } catch (IllegalArgumentException e) {
            throw bad(where + ": 'valueBase64' is not base64: " + e.getMessage());
        }
    }

    private static String key(JsonNode o, String where, Bounds bounds) {
        String key = text(o, "key", where);
        if (key.isEmpty()) {
            throw bad(where + ": 'key' must not be empty");
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > bounds.maxKeyBytes()) {
            throw BadRequestException.badRequest("key-too-long", where + ": a key has at most " + bounds.maxKeyBytes() + " bytes");
        }
        return key;
    }

    private static String text(JsonNode o, String field, String where) {
        JsonNode v = field(o, field);
        if (v == null || !v.isString()) {
            throw bad(where + " needs a string '" + field + "'");
        }
        return v.stringValue();
    }

    private static List<JsonNode> array(JsonNode root, String field) {
        JsonNode a = field(root, field);
        if (a == null) {
            return List.of();
        }
        if (!a.isArray()) {
            throw bad("'" + field + "' must be an array");
        }
        List<JsonNode> out = new ArrayList<>();
        a.values().forEach(out::add);
        return out;
    }

    /** A member, or null when it is absent or JSON null (generated clients send null for what is unset). */
    private static JsonNode field(JsonNode o, String name) {
        JsonNode v = o.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private static void only(JsonNode o, Set<String> allowed, String where) {
        for (String p : o.propertyNames()) {
            if (!allowed.contains(p) && field(o, p) != null) {
                throw bad(where + ": unknown property '" + p + "'; expected only " + allowed);
            }
        }
    }

    private static BadRequestException bad(String detail) {
        return BadRequestException.badRequest("bad-txn", detail);
    }
}
