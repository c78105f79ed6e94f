package io.raftkv.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.raftkv.config.CoordinationProperties;
import io.raftkv.config.RaftKvProperties;
import io.raftkv.kv.KeyValue;
import io.raftkv.kv.TxnCommand;
import io.raftkv.kv.WriteResult;
import io.raftkv.node.RaftKvNode;
import io.raftkv.security.Callers;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@code POST /txn}: compare, then the success or the failure operations, atomically at one revision. */
@RestController
final class TxnController {
    private final RaftKvNode node;
    private final LeaderRouter router;
    private final TxnRequests.Bounds bounds;
    /** The largest entry the peers carry: a key and a value of the configured maximum sizes. */
    private final long maxEntryBytes;

    TxnController(RaftKvNode node, LeaderRouter router, RaftKvProperties props, CoordinationProperties coordination) {
        this.node = node;
        this.router = router;
        long maxKey = props.limits().maxKeySize().toBytes();
        this.bounds = new TxnRequests.Bounds(coordination.txn().maxOps(), maxKey);
        this.maxEntryBytes = maxKey + props.limits().maxValueSize().toBytes();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record OpAnswer(String op, String key, Boolean created, Boolean deleted, Boolean found, Long createRevision,
                    Long modRevision, Long version, String contentType, String value, String valueBase64) {
    }

    record TxnAnswer(boolean succeeded, long revision, List<OpAnswer> results) {
    }

    @PostMapping("/txn")
    CompletableFuture<ResponseEntity<Object>> txn(HttpServletRequest req,
                                                  @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey)
            throws IOException {
        String idem = Conditions.idempotencyKey(idempotencyKey);
        TxnCommand txn = TxnRequests.parse(body(req), bounds, idem, System.currentTimeMillis());
        requirePermissions(txn);
        if (txn.encode().length > maxEntryBytes) {
            throw tooLarge();
        }
        TxnQuota.requireRoom(node, txn);
        return router.onLeader(req, LeaderRouter.Kind.WRITE, () -> node.write(txn), this::answer);
    }

    /** Every key of both branches and the comparisons: the caller learns of them whichever branch runs. */
    private static void requirePermissions(TxnCommand txn) {
        for (TxnCommand.Compare c : txn.compare()) {
            Callers.requireRead(c.key());
        }
        for (List<TxnCommand.Op> branch : List.of(txn.success(), txn.failure())) {
            for (TxnCommand.Op op : branch) {
                if (op instanceof TxnCommand.Get) {
                    Callers.requireRead(op.key());
                } else {
                    Callers.requireWrite(op.key());
                }
            }
        }
    }

    private ResponseEntity<Object> answer(WriteResult r) {
        if (r instanceof WriteResult.TxnDone done) {
            List<OpAnswer> results = new ArrayList<>(done.results().size());
            for (WriteResult.OpResult o : done.results()) {
                results.add(opAnswer(o));
            }
            return ResponseEntity.ok().header(KvController.REVISION_HEADER, Long.toString(done.revision()))
                    .contentType(MediaType.APPLICATION_JSON).body(new TxnAnswer(done.succeeded(), done.revision(), results));
        }
        if (r instanceof WriteResult.LeaseNotFound nf) {
            return Problems.of(HttpStatus.NOT_FOUND, "lease-not-found", "there is no lease " + nf.id()
                    + " (never granted, revoked or expired); nothing was changed", Map.of("lease", nf.id()));
        }
        if (r instanceof WriteResult.IdempotencyKeyReused) {
            return Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused",
                    "this Idempotency-Key was already used for a different request; use a new key for a new request");
        }
        throw new IllegalStateException("unknown transaction result " + r);
    }

    private static OpAnswer opAnswer(WriteResult.OpResult o) {
        if (o instanceof WriteResult.PutDone p) {
            return new OpAnswer("put", p.key(), p.created(), null, null, null, null, null, null, null, null);
        }
        if (o instanceof WriteResult.DeleteDone d) {
            return new OpAnswer("delete", d.key(), null, d.deleted(), null, null, null, null, null, null, null);
        }
        KeyValue kv = ((WriteResult.GetDone) o).kv();
        if (kv == null) {
            return new OpAnswer("get", o.key(), null, null, false, null, null, null, null, null, null);
        }
        ValueText v = ValueText.of(kv);
        return new OpAnswer("get", o.key(), null, null, true, kv.createRevision(), kv.modRevision(), kv.version(),
                kv.contentType(), v.text(), v.base64());
    }

    private byte[] body(HttpServletRequest req) throws IOException {
        // JSON escapes and base64 make a body longer than the entry it becomes; the entry is checked after parsing.
        long max = maxEntryBytes * 2 + 64 * 1024;
        if (req.getContentLengthLong() > max) {
            throw tooLarge();
        }
        try (InputStream in = req.getInputStream()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (b.length > max) {
                throw tooLarge();
            }
            return b;
        }
    }

    private BadRequestException tooLarge() {
        return new BadRequestException(HttpStatus.CONTENT_TOO_LARGE, "txn-too-large", "a transaction carries at most "
                + maxEntryBytes + " bytes of keys and values (raftkv.limits.max-key-size + max-value-size); nothing was proposed");
    }
}
