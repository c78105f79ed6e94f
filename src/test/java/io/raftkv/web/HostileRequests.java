package io.raftkv.web;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * Generates malformed requests, each a pure function of (seed, index) so any one of them can be
 * replayed alone. Requests that might be valid writes only ever name keys under {@code hostile/};
 * requests that name a control key are invalid by construction, so a control key that changes is
 * a bug.
 */
final class HostileRequests {

    /**
     * One request. {@code asteriskForm} marks {@code OPTIONS *}: Tomcat's connector answers it itself
     * (200, {@code Allow}, no content) before any valve, filter or servlet runs, so it is the one
     * answer that cannot carry the browser-safety headers; with no content there is nothing to sniff.
     */
    record Hostile(int index, String category, byte[] bytes, boolean halfClose, boolean head, boolean asteriskForm) {
    }

    static final List<String> CATEGORIES = List.of("percent-encoding", "invalid-utf8", "huge-headers",
            "conflicting-lengths", "absurd-query", "bad-conditional", "wrong-method", "truncated-body", "long-key",
            "malformed-request-line");

    private static final String[] PATHS = {"/kv", "/kv/", "/kv/hostile/a", "/kv/hostile/b/c", "/cluster",
            "/actuator", "/actuator/health", "/actuator/health/readiness", "/actuator/health/liveness", "/actuator/info",
            "/actuator/prometheus", "/actuator/metrics", "/actuator/metrics/jvm.memory.used", "/actuator/nope",
            "/nope", "/", "/error", "/raft/append", "/kv/../cluster", "//kv", "/KV/x"};
    private static final String[] WRONG_METHODS = {"OPTIONS", "PATCH", "POST", "TRACE", "HEAD", "CONNECT", "PROPFIND",
            "FOO", "get", "MKCOL", "LOCK", "PURGE"};
    private static final String[] BAD_ESCAPES = {"%", "%%", "%%%", "%f", "%ff", "%zz", "%g0", "%c3%28", "%e2%82",
            "%ed%a0%80", "%f8%88%80%80%80", "%c0%af", "%00", "%%41", "%u0041", "%fe%ff", "%80", "%2", "%%2f"};
    private static final String[] QUERY_PARAMS = {"limit", "cursor", "prefix", "consistency", "values"};
    private static final String[] ABSURD_VALUES = {"", "-1", "0", "1001", "99999999999999999999", "1e9", "0x10", "NaN",
            " 5", "5 ", "abc", "!!!", "====", "%%%", "%ff", "stale", "STALE", "linearizable ", "eventual", "true",
            "TRUE", "1", "yes", "null", "[]", "{}", "%00", "%0d%0a", "%c3%28", "a%2fb", "..%2f..", "\\u0000"};
    private static final String[] INVALID_IF_MATCH = {"abc", "\"abc\"", "\"-1\"", "\"99999999999999999999\"",
            "\"1\", \"2\"", "**", "\"\"", "W/", "W/\"\"", "'1'", "\"1", "1\"", "\"1\"x", "\"0x10\""};
    private static final String[] INVALID_IF_NONE_MATCH_FOR_WRITE = {"\"1\"", "abc", "\"abc\"", "W/\"1\"", "**", "\"1\", *"};
    private static final String[] INVALID_IDEMPOTENCY_KEYS = {"has space", "tab\there", "x".repeat(256),
            "\u00e9t\u00e9", "a,b c", "\u007f"};

    private final long seed;
    private final List<String> controlKeys;

    HostileRequests(long seed, List<String> controlKeys) {
        this.seed = seed;
        this.controlKeys = controlKeys;
    }

    Hostile request(int index) {
        Random r = new Random(seed * 1_000_003L + index);
        String category = CATEGORIES.get(index % CATEGORIES.size());
        return switch (category) {
            case "percent-encoding" -> percentEncoding(index, r);
            case "invalid-utf8" -> invalidUtf8(index, r);
            case "huge-headers" -> hugeHeaders(index, r);
            case "conflicting-lengths" -> conflictingLengths(index, r);
            case "absurd-query" -> absurdQuery(index, r);
            case "bad-conditional" -> badConditional(index, r);
            case "wrong-method" -> wrongMethod(index, r);
            case "truncated-body" -> truncatedBody(index, r);
            case "long-key" -> longKey(index, r);
            default -> malformedRequestLine(index, r);
        };
    }

    // ------------------------------------------------------------------ categories

    private Hostile percentEncoding(int i, Random r) {
        String escape = pick(r, BAD_ESCAPES);
        String method = r.nextInt(4) == 0 ? pick(r, "GET", "DELETE", "HEAD", "OPTIONS") : "GET";
        String target = switch (r.nextInt(4)) {
            case 0 -> "/kv/" + pick(r, "hostile/", "") + escape + "x";
            case 1 -> pick(r, PATHS) + "?" + pick(r, QUERY_PARAMS) + "=" + escape;
            case 2 -> pick(r, PATHS) + "?" + escape + "=1";
            default -> "/kv/" + controlKey(r) + escape + "?prefix=" + escape;
        };
        return plain(i, "percent-encoding", method, target, r, method.equals("HEAD"));
    }

    private Hostile invalidUtf8(int i, Random r) {
        byte[] junk = randomHighBytes(r, 1 + r.nextInt(6));
        Req q = switch (r.nextInt(5)) {
            case 0 -> new Req("GET", concat(ascii("/kv/" + controlKey(r)), junk));
            case 1 -> new Req("GET", concat(ascii(pick(r, PATHS) + "?" + pick(r, QUERY_PARAMS) + "="), junk));
            case 2 -> new Req("PUT", ascii("/kv/" + controlKey(r))).header("If-Match", junk);
            case 3 -> new Req(pick(r, "GET", "DELETE"), ascii("/kv/" + controlKey(r))).header(concat(ascii("X-"), junk), ascii("1"));
            default -> new Req("PUT", ascii("/kv/hostile/utf8")).header("Content-Type", concat(ascii("text/"), junk))
                    .header("X-Junk", junk);
        };
        if (q.method.equals("PUT")) {
            q.body(ascii("v"));
        }
        return q.build(i, "invalid-utf8", false, false);
    }

    private Hostile hugeHeaders(int i, Random r) {
        String path = pick(r, PATHS);
        Req q = new Req(pick(r, "GET", "PUT", "DELETE"), ascii(path.startsWith("/kv/") ? "/kv/" + controlKey(r) : path));
        switch (r.nextInt(4)) {
            case 0 -> q.header("X-Big", ascii("a".repeat(8 * 1024 + r.nextInt(56 * 1024))));
            case 1 -> {
                for (int n = 0; n < 300 + r.nextInt(700); n++) {
                    q.header("X-H" + n, ascii("v".repeat(20)));
                }
            }
            case 2 -> q.header("If-Match", ascii("\"" + "1".repeat(9000 + r.nextInt(9000)) + "\""));
            default -> q.header("Cookie", ascii("c=" + "z".repeat(12 * 1024)));
        }
        if (q.method.equals("PUT")) {
            q.body(ascii("never stored"));
        }
        return q.build(i, "huge-headers", false, false);
    }

    private Hostile conflictingLengths(int i, Random r) {
        String key = "/kv/hostile/len" + r.nextInt(5);
        Req q = new Req("PUT", ascii(key));
        byte[] chunkedBody = ascii("5\r\nhello\r\n0\r\n\r\n");
        boolean halfClose = true;
        switch (r.nextInt(9)) {
            case 0 -> q.header("Content-Length", ascii("5")).header("Transfer-Encoding", ascii("chunked")).raw(chunkedBody);
            case 1 -> q.header("Content-Length", ascii("5")).header("Content-Length", ascii("6")).raw(ascii("hello!"));
            case 2 -> q.header("Content-Length", ascii(pick(r, "-1", "abc", "+5", "5, 6", "0x5", "99999999999999999999", " ", "5.0")))
                    .raw(ascii("hello"));
            case 3 -> {
                q.header("Transfer-Encoding", ascii(pick(r, "gzip", "identity", "compress", "chunked, gzip", "x-custom")))
                        .raw(ascii("hello"));
            }
            case 4 -> q.header("Transfer-Encoding", ascii("chunked")).raw(ascii(pick(r, "zz\r\nhello\r\n0\r\n\r\n",
                    "ffffffffffffffffff\r\nx\r\n", "5\r\nhelloXX0\r\n\r\n", "-1\r\n\r\n", "5;" + "e".repeat(9000) + "\r\nhello\r\n0\r\n\r\n")));
            case 5 -> q.header("Transfer-Encoding", ascii("chunked")).header("Transfer-Encoding", ascii("chunked")).raw(chunkedBody);
            case 6 -> q.header("Content-Length", ascii(Long.toString(2_000_000 + r.nextInt(1_000_000)))).raw(ascii("small"));
            case 7 -> q.header("Transfer-Encoding", ascii(" chunked")).header("Content-Length", ascii("3")).raw(ascii("abc"));
            default -> {
                // A keep-alive request followed by a smuggling attempt on the same connection.
                q.header("Content-Length", ascii("0")).raw(ascii("GET /kv/" + controlKey(r) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
                halfClose = false;
            }
        }
        return q.build(i, "conflicting-lengths", halfClose, false);
    }

    private Hostile absurdQuery(int i, Random r) {
        String path = switch (r.nextInt(4)) {
            case 0, 1 -> "/kv";
            case 2 -> "/kv/" + controlKey(r);
            default -> pick(r, PATHS);
        };
        StringBuilder q = new StringBuilder();
        int params = r.nextInt(10) == 0 ? 101 + r.nextInt(200) : 1 + r.nextInt(4);
        for (int p = 0; p < params; p++) {
            q.append(q.isEmpty() ? "" : "&").append(pick(r, QUERY_PARAMS)).append('=').append(absurdValue(r));
        }
        if (r.nextInt(8) == 0) {
            q.append("&&=&=x&limit");
        }
        String method = r.nextInt(6) == 0 ? "DELETE" : "GET";
        if (method.equals("DELETE") && path.startsWith("/kv/") && !path.startsWith("/kv/hostile")) {
            path = "/kv/hostile/q";
        }
        return plain(i, "absurd-query", method, path + "?" + q, r, false);
    }

    private String absurdValue(Random r) {
        return switch (r.nextInt(5)) {
            case 0 -> "A".repeat(1 + r.nextInt(5000));
            case 1 -> "c3RhbGU" + "_-".repeat(r.nextInt(4));
            case 2 -> "%" + Integer.toHexString(0x80 + r.nextInt(0x80)) + "x";
            default -> pick(r, ABSURD_VALUES);
        };
    }

    private Hostile badConditional(int i, Random r) {
        String key = "/kv/" + controlKey(r);
        Req q;
        switch (r.nextInt(6)) {
            case 0 -> q = new Req("PUT", ascii(key)).header("If-Match", ascii(pick(r, INVALID_IF_MATCH))).body(ascii("x"));
            case 1 -> q = new Req("PUT", ascii(key)).header("If-None-Match", ascii(pick(r, INVALID_IF_NONE_MATCH_FOR_WRITE))).body(ascii("x"));
            case 2 -> q = new Req("PUT", ascii(key)).header("If-Match", ascii("*")).header("If-None-Match", ascii("*")).body(ascii("x"));
            case 3 -> q = new Req("DELETE", ascii(key)).header(pick(r, "If-None-Match", "If-Match"),
                    ascii(pick(r, "If-None-Match", "If-Match").equals("If-None-Match") ? "*" : "garbage"))
                    .header("If-None-Match", ascii("*"));
            case 4 -> q = new Req(pick(r, "PUT", "DELETE"), ascii(key)).header("Idempotency-Key",
                    pick(r, INVALID_IDEMPOTENCY_KEYS).getBytes(StandardCharsets.UTF_8)).header("If-Match", ascii(pick(r, INVALID_IF_MATCH)));
            default -> q = new Req("GET", ascii(key)).header("If-None-Match", ascii(pick(r, INVALID_IF_MATCH)))
                    .header("If-Match", ascii(pick(r, INVALID_IF_MATCH)));
        }
        if (q.method.equals("PUT") && q.body == null) {
            q.body(ascii("x"));
        }
        return q.build(i, "bad-conditional", false, false);
    }

    private Hostile wrongMethod(int i, Random r) {
        String method = pick(r, WRONG_METHODS);
        String path = switch (r.nextInt(4)) {
            case 0 -> "/kv/" + controlKey(r);
            case 1 -> "/kv/" + "k".repeat(1025 + r.nextInt(5000));
            default -> pick(r, PATHS);
        };
        Req q = new Req(method, ascii(path));
        if (r.nextBoolean()) {
            q.body(ascii("{\"value\":\"x\"}"));
        }
        if (method.equals("CONNECT")) {
            q = new Req(method, ascii(pick(r, "x:443", path)));
        }
        return q.build(i, "wrong-method", false, method.equals("HEAD"));
    }

    private Hostile truncatedBody(int i, Random r) {
        String key = "/kv/" + (r.nextBoolean() ? controlKey(r) : "hostile/t");
        Req q = new Req("PUT", ascii(key)).header("Content-Type", ascii("text/plain"));
        if (r.nextBoolean()) {
            int declared = 10 + r.nextInt(100_000);
            q.header("Content-Length", ascii(Integer.toString(declared))).raw(ascii("y".repeat(r.nextInt(Math.min(declared, 5000)))));
        } else {
            q.header("Transfer-Encoding", ascii("chunked")).raw(ascii(pick(r, "", "5\r\nhel", "5\r\nhello\r\n", "5\r\nhello\r\n3",
                    "5\r\nhello\r\n0\r\n")));
        }
        return q.build(i, "truncated-body", true, false);
    }

    private Hostile longKey(int i, Random r) {
        int bytes = 1025 + r.nextInt(6500);
        String key = r.nextBoolean() ? "k".repeat(bytes) : "%C3%A9".repeat(bytes / 6 + 1);
        String method = pick(r, "GET", "PUT", "DELETE", "OPTIONS", "PATCH", "POST", "HEAD", "TRACE");
        String query = r.nextInt(3) == 0 ? "?consistency=" + pick(r, "stale", "linearizable", "%ff") : "";
        Req q = new Req(method, ascii("/kv/" + key + query));
        if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("TRACE")) {
            q.body(ascii("value"));
        }
        return q.build(i, "long-key", false, method.equals("HEAD"));
    }

    private Hostile malformedRequestLine(int i, Random r) {
        String key = controlKey(r);
        String raw = switch (r.nextInt(17)) {
            case 0 -> "GARBAGE\r\n\r\n";
            case 1 -> "GET\r\n\r\n";
            case 2 -> "GET /kv/" + key + " HTTP/1.1 extra\r\nHost: x\r\n\r\n";
            case 3 -> "GET /kv/" + key + " HTTP/" + pick(r, "2.0", "9.9", "3", "0.8") + "\r\nHost: x\r\n\r\n";
            case 4 -> "GET /kv/" + key + " HTTP/1.1\r\n\r\n"; // no Host
            case 5 -> "GET  /kv/" + key + " HTTP/1.1\r\nHost: x\r\n\r\n";
            case 6 -> "GET\t/kv/" + key + "\tHTTP/1.1\r\nHost: x\r\n\r\n";
            case 7 -> "GET /kv/" + key + " http/1.1\r\nHost: x\r\n\r\n";
            case 8 -> "GET http://evil.example/kv/" + key + " HTTP/1.1\r\nHost: x\r\n\r\n";
            case 9 -> "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n";
            case 10 -> "GET kv/" + key + " HTTP/1.1\r\nHost: x\r\n\r\n";
            case 11 -> "GET /kv/" + key + "\u0000 HTTP/1.1\r\nHost: x\r\n\r\n";
            case 12 -> "GET /kv/" + key + " HTTP/1.1\nHost: x\n\n";
            case 13 -> "GET /kv/" + key + " HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n";
            case 14 -> "GET /kv/" + key + " HTTP/1.1\r\nHost: x\r\n Folded: header\r\n\r\n";
            case 15 -> "GET /kv/" + key + "\r\n\r\n"; // HTTP/0.9
            default -> "DELETE /kv/" + key + " HTTP/1.1\r\nHost: x\r\nNo-Colon-Here\r\n\r\n";
        };
        return new Hostile(i, "malformed-request-line", raw.getBytes(StandardCharsets.ISO_8859_1), false, false,
                raw.startsWith("OPTIONS * "));
    }

    // ------------------------------------------------------------------ building

    private Hostile plain(int i, String category, String method, String target, Random r, boolean head) {
        return new Req(method, ascii(target)).build(i, category, false, head);
    }

    private String controlKey(Random r) {
        return controlKeys.get(r.nextInt(controlKeys.size()));
    }

    @SafeVarargs
    private static <T> T pick(Random r, T... options) {
        return options[r.nextInt(options.length)];
    }

    private static byte[] randomHighBytes(Random r, int n) {
        byte[] b = new byte[n];
        for (int k = 0; k < n; k++) {
            b[k] = (byte) (0x80 + r.nextInt(0x80));
        }
        return b;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** A request under construction: line, headers, and either a framed body or raw bytes after the headers. */
    private static final class Req {
        final String method;
        final byte[] target;
        final ByteArrayOutputStream headers = new ByteArrayOutputStream();
        byte[] body;
        byte[] raw;

        Req(String method, byte[] target) {
            this.method = method;
            this.target = target;
            header("Host", ascii("raftkv"));
        }

        Req header(String name, byte[] value) {
            return header(ascii(name), value);
        }

        Req header(byte[] name, byte[] value) {
            headers.writeBytes(name);
            headers.writeBytes(ascii(": "));
            headers.writeBytes(value);
            headers.writeBytes(ascii("\r\n"));
            return this;
        }

        Req body(byte[] b) {
            this.body = b;
            return this;
        }

        Req raw(byte[] b) {
            this.raw = b;
            return this;
        }

        Hostile build(int i, String category, boolean halfClose, boolean head) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(ascii(method + " "));
            out.writeBytes(target);
            out.writeBytes(ascii(" HTTP/1.1\r\n"));
            out.writeBytes(headers.toByteArray());
            if (body != null) {
                out.writeBytes(ascii("Content-Length: " + body.length + "\r\n"));
            }
            out.writeBytes(ascii("Connection: close\r\n\r\n"));
            if (body != null) {
                out.writeBytes(body);
            }
            if (raw != null) {
                out.writeBytes(raw);
            }
            return new Hostile(i, category, out.toByteArray(), halfClose, head, false);
        }
    }

    static String describe(Hostile h) {
        return "#" + h.index() + " [" + h.category() + "] " + RawHttp.printable(h.bytes(), 400);
    }
}
