package io.raftkv.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.raftkv.config.RaftKvProperties;
import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.Page;
import io.raftkv.kv.Precondition;
import io.raftkv.kv.WriteResult;
import io.raftkv.node.RaftKvNode;
import io.raftkv.security.Caller;
import io.raftkv.security.Callers;
import tools.jackson.databind.json.JsonMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The client API: {@code /kv/{key}} and {@code /kv?prefix=}. The contract is {@code openapi.yaml}. */
@RestController
final class KvController {
    static final String REVISION_HEADER = "X-Raftkv-Revision";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RaftKvNode node;
    private final LeaderRouter router;
    private final RaftKvProperties.Limits limits;
    private final LeasedPuts leased;
    private final DirectAnswers answers;

    KvController(RaftKvNode node, LeaderRouter router, RaftKvProperties props, DirectAnswers answers) {
        this.node = node;
        this.router = router;
        this.answers = answers;
        this.limits = props.limits();
        this.leased = new LeasedPuts(node, router);
    }

    /**
     * Reads are linearizable unless {@code consistency=stale}, which has mappings of its own; here
     * only the default remains, and anything else is refused.
     */
    private static void requireLinearizable(String consistency) {
        if (consistency != null && !consistency.equals("linearizable")) {
            throw BadRequestException.badRequest("bad-consistency",
                    "consistency must be 'linearizable' (the default) or 'stale', not '" + consistency + "'");
        }
    }

    record Written(String key, long revision, boolean created) {
    }

    /** One listed key; {@code value} (base64) only with {@code values=true}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Item(String key, long createRevision, long modRevision, long version, String contentType, int size,
                String value) {
    }

    record Listing(List<Item> items, String next) {
    }

    /*
     * Writes and linearizable reads wait for Raft: their answers are written by DirectAnswers when
     * ready, not by a second dispatch of the request. The hot handlers read their headers and
     * parameters with RequestValues rather than by annotated arguments.
     */
    @PutMapping("/kv/**")
    void put(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String ifMatch = RequestValues.header(req, HttpHeaders.IF_MATCH);
        String ifNoneMatch = RequestValues.header(req, HttpHeaders.IF_NONE_MATCH);
        String idempotencyKey = RequestValues.header(req, "Idempotency-Key");
        String lease = RequestValues.param(req, "lease");
        String ttl = RequestValues.param(req, "ttl");
        String key = key(req);
        Callers.requireWrite(key);
        Precondition pre = Conditions.forWrite(ifMatch, ifNoneMatch);
        String idem = Conditions.idempotencyKey(idempotencyKey);
        String contentType = contentType(req);
        byte[] value = body(req);
        if (lease != null || ttl != null) {
            answers.send(req, resp, leased.put(req, key, value, contentType, pre, idem, lease, ttl));
            return;
        }
        KvCommand cmd = new KvCommand.Put(key, value, contentType, pre, idem, System.currentTimeMillis());
        answers.send(req, resp, router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.write(cmd), r -> answer(key, r)));
    }

    @DeleteMapping("/kv/**")
    void delete(HttpServletRequest req, HttpServletResponse resp) {
        String ifMatch = RequestValues.header(req, HttpHeaders.IF_MATCH);
        String ifNoneMatch = RequestValues.header(req, HttpHeaders.IF_NONE_MATCH);
        String idempotencyKey = RequestValues.header(req, "Idempotency-Key");
        String key = key(req);
        Callers.requireWrite(key);
        if (ifNoneMatch != null) {
            throw BadRequestException.badRequest("bad-precondition", "If-None-Match has no meaning for DELETE");
        }
        Precondition pre = Conditions.forWrite(ifMatch, null);
        String idem = Conditions.idempotencyKey(idempotencyKey);
        KvCommand cmd = new KvCommand.Delete(key, pre, idem, System.currentTimeMillis());
        answers.send(req, resp, router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.write(cmd), r -> answer(key, r)));
    }

    /*
     * Stale reads have their own synchronous mappings: an async handler costs a second dispatch
     * through the servlet pipeline even when its future is already complete, and a stale read
     * never waits for anything.
     */
    @GetMapping(value = "/kv/**", params = {"consistency=stale", "!wait"})
    ResponseEntity<Object> getStale(HttpServletRequest req) {
        String key = key(req);
        Callers.requireRead(key);
        return value(key, RequestValues.header(req, HttpHeaders.IF_NONE_MATCH));
    }

    @GetMapping(value = "/kv", params = "consistency=stale")
    ResponseEntity<Object> listStale(@RequestParam(value = "prefix", defaultValue = "") String prefix,
                                     @RequestParam(value = "limit", required = false) String limitParam,
                                     @RequestParam(value = "cursor", required = false) String cursor,
                                     @RequestParam(value = "values", defaultValue = "false") String values) {
        return listing(Callers.current(), prefix, cursor == null ? null : Cursor.decode(cursor), limit(limitParam),
                bool("values", values));
    }

    @GetMapping("/kv/**")
    void get(HttpServletRequest req, HttpServletResponse resp) {
        String consistency = RequestValues.param(req, "consistency");
        String ifNoneMatch = RequestValues.header(req, HttpHeaders.IF_NONE_MATCH);
        String key = key(req);
        Callers.requireRead(key);
        requireLinearizable(consistency);
        answers.send(req, resp, router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier, v -> value(key, ifNoneMatch)));
    }

    @GetMapping("/kv")
    CompletableFuture<ResponseEntity<Object>> list(HttpServletRequest req,
                                                   @RequestParam(value = "prefix", defaultValue = "") String prefix,
                                                   @RequestParam(value = "limit", required = false) String limitParam,
                                                   @RequestParam(value = "cursor", required = false) String cursor,
                                                   @RequestParam(value = "values", defaultValue = "false") String values,
                                                   @RequestParam(value = "consistency", required = false) String consistency) {
        int limit = limit(limitParam);
        String startAfter = cursor == null ? null : Cursor.decode(cursor);
        boolean withValues = bool("values", values);
        requireLinearizable(consistency);
        Caller caller = Callers.current(); // here: the security context belongs to this thread
        return router.onLeader(req, LeaderRouter.Kind.READ, node::readBarrier,
                v -> listing(caller, prefix, startAfter, limit, withValues));
    }

    // ---------------------------------------------------------------- answers

    static ResponseEntity<Object> answer(String key, WriteResult r) {
        if (r instanceof WriteResult.Written w) {
            ResponseEntity.BodyBuilder b = ResponseEntity.status(w.created() ? HttpStatus.CREATED : HttpStatus.OK)
                    .eTag(Conditions.etag(w.revision()))
                    .header(REVISION_HEADER, Long.toString(w.revision()));
            if (w.created()) {
                b.location(URI.create(KeyPath.PREFIX + KeyPath.encode(key)));
            }
            // As bytes: the answer then goes out with a Content-Length in one write. Handed to the
            // JSON converter, it was flushed before its length was known and went out chunked.
            return b.contentType(MediaType.APPLICATION_JSON).body(JSON.writeValueAsBytes(new Written(key, w.revision(), w.created())));
        }
        if (r instanceof WriteResult.Deleted d) {
            return ResponseEntity.noContent().header(REVISION_HEADER, Long.toString(d.revision())).build();
        }
        if (r instanceof WriteResult.NotFound) {
            return Problems.of(HttpStatus.NOT_FOUND, "not-found", "there is no key '" + key + "'", Map.of("key", key));
        }
        if (r instanceof WriteResult.PreconditionFailed p) {
            String detail = p.currentRevision() == 0 ? "the condition failed: the key '" + key + "' does not exist"
                    : "the condition failed: the key '" + key + "' is at revision " + p.currentRevision();
            return Problems.of(HttpStatus.PRECONDITION_FAILED, "precondition-failed", detail,
                    Map.of("key", key, "currentRevision", p.currentRevision()));
        }
        if (r instanceof WriteResult.IdempotencyKeyReused) {
            return Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused",
                    "this Idempotency-Key was already used for a different request; use a new key for a new request");
        }
        throw new IllegalStateException("unknown write result " + r);
    }

    private ResponseEntity<Object> value(String key, String ifNoneMatch) {
        KeyValue kv = node.stateMachine().get(key).orElse(null);
        if (kv == null) {
            return Problems.of(HttpStatus.NOT_FOUND, "not-found", "there is no key '" + key + "'", Map.of("key", key));
        }
        ResponseEntity.BodyBuilder b = ResponseEntity.ok()
                .eTag(Conditions.etag(kv.modRevision()))
                .header(REVISION_HEADER, Long.toString(kv.modRevision()))
                .header("X-Raftkv-Create-Revision", Long.toString(kv.createRevision()))
                .header("X-Raftkv-Version", Long.toString(kv.version()));
        if (Conditions.noneMatchHits(ifNoneMatch, kv.modRevision())) {
            return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(Conditions.etag(kv.modRevision())).build();
        }
        return b.contentType(MediaType.parseMediaType(kv.contentType() == null
                ? MediaType.APPLICATION_OCTET_STREAM_VALUE : kv.contentType())).body(kv.value());
    }

    /**
     * A page holds at most {@code limit} keys and, measured as sent, at most
     * {@code raftkv.limits.max-page-bytes}: with values, a thousand large ones would otherwise build
     * a gigabyte for one request. A page cut short by bytes continues with its {@code next} cursor; a
     * value larger than the bound comes alone, so every key can still be listed. Only the keys
     * {@code caller} may read are listed.
     */
    private ResponseEntity<Object> listing(Caller caller, String prefix, String startAfter, int limit, boolean withValues) {
        Page page = caller.list(node.stateMachine(), prefix, startAfter, limit);
        long maxBytes = limits.maxPageBytes().toBytes();
        long bytes = 0;
        List<Item> items = new ArrayList<>(page.items().size());
        String next = page.nextStartAfter() == null ? null : Cursor.encode(page.nextStartAfter());
        for (KeyValue kv : page.items()) {
            long size = listedBytes(kv, withValues);
            if (!items.isEmpty() && bytes + size > maxBytes) {
                next = Cursor.encode(items.get(items.size() - 1).key());
                break;
            }
            bytes += size;
            items.add(new Item(kv.key(), kv.createRevision(), kv.modRevision(), kv.version(), kv.contentType(),
                    kv.value().length, withValues ? Base64.getEncoder().encodeToString(kv.value()) : null));
        }
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(new Listing(items, next));
    }

    /** An upper bound of an item's JSON: escaped key, content type, base64 value, the fixed fields. */
    static long listedBytes(KeyValue kv, boolean withValues) {
        long key = kv.key().length() * 6L;
        long contentType = kv.contentType() == null ? 0 : kv.contentType().length() * 6L;
        long value = withValues ? (kv.value().length + 2L) / 3 * 4 : 0;
        return 160 + key + contentType + value;
    }

    // ---------------------------------------------------------------- input

    private String key(HttpServletRequest req) {
        return KeyPath.key(req.getRequestURI(), req.getContextPath(), limits.maxKeySize().toBytes());
    }

    private static String contentType(HttpServletRequest req) {
        String ct = req.getContentType();
        if (ct == null || ct.isBlank()) {
            return MediaType.APPLICATION_OCTET_STREAM_VALUE;
        }
        try {
            MediaType.parseMediaType(ct);
        } catch (InvalidMediaTypeException e) {
            throw BadRequestException.badRequest("bad-content-type", "Content-Type '" + ct + "' is not a media type");
        }
        if (ct.length() > 256) {
            throw BadRequestException.badRequest("bad-content-type", "Content-Type is longer than 256 characters");
        }
        return ct;
    }

    /** Reads the raw body, refusing it as soon as it is known to exceed the value limit. */
    private byte[] body(HttpServletRequest req) throws IOException {
        long max = limits.maxValueSize().toBytes();
        long declared = req.getContentLengthLong();
        if (declared > max) {
            throw tooLarge(declared, max);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 256);
        byte[] buf = new byte[8192];
        try (InputStream in = req.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > max) {
                    throw tooLarge(out.size() + n, max);
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // Only the client can make reading its own request fail: it ended early or stalled.
            throw BadRequestException.badRequest("incomplete-body",
                    "the request body ended before its declared length, or did not arrive in time; nothing was written");
        }
        return out.toByteArray();
    }

    private static BadRequestException tooLarge(long size, long max) {
        return new BadRequestException(HttpStatus.CONTENT_TOO_LARGE, "value-too-large",
                "the value is " + (size > max ? "more than " + max : size) + " bytes; at most " + max + " bytes are allowed");
    }

    private int limit(String param) {
        int max = limits.maxListLimit();
        if (param == null) {
            return Math.min(100, max);
        }
        try {
            int n = Integer.parseInt(param);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw BadRequestException.badRequest("bad-limit", "limit must be a number from 1 to " + max + " (got '" + param + "')");
    }

    private static boolean bool(String name, String value) {
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        throw BadRequestException.badRequest("bad-parameter", name + " must be true or false (got '" + value + "')");
    }

    /** Page cursors: the last key of a page, base64url-encoded so that any key travels safely in a query. */
    static final class Cursor {
        private Cursor() {
        }

        static String encode(String key) {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
        }

        static String decode(String cursor) {
            try {
                return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw BadRequestException.badRequest("bad-cursor", "cursor must be a value returned as 'next' by a previous page");
            }
        }
    }
}
