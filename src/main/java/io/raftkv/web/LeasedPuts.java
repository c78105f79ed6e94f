package io.raftkv.web;

import io.raftkv.kv.LeaseCommand;
import io.raftkv.kv.Precondition;
import io.raftkv.kv.TxnCommand;
import io.raftkv.kv.WriteResult;
import io.raftkv.node.RaftKvNode;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.ResponseEntity;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code PUT /kv/{key}?lease=ID} and {@code ?ttl=30s}: a put that is deleted with a lease. It is
 * proposed as a one-put transaction whose comparisons are the PUT's {@code If-Match} /
 * {@code If-None-Match}, so it is answered exactly like a PUT. With {@code ttl} that transaction and
 * the grant of the key's own lease are one log entry ({@link LeaseCommand.GrantWith}): a failed
 * condition or an Idempotency-Key replay grants nothing, and the lease's id is the entry's revision,
 * answered in {@code X-Raftkv-Lease}.
 */
final class LeasedPuts {
    static final String LEASE_HEADER = "X-Raftkv-Lease";

    private final RaftKvNode node;
    private final LeaderRouter router;

    LeasedPuts(RaftKvNode node, LeaderRouter router) {
        this.node = node;
        this.router = router;
    }

    CompletableFuture<ResponseEntity<Object>> put(HttpServletRequest req, String key, byte[] value, String contentType,
                                                  Precondition pre, String idem, String leaseText, String ttlText) {
        if (leaseText != null && ttlText != null) {
            throw BadRequestException.badRequest("bad-lease", "give either lease (an existing lease's id) or ttl (a lease of the key's own), not both");
        }
        long lease = leaseText == null ? 0 : LeaseController.id(leaseText);
        Duration ttl = ttlText == null ? null : DurationParam.parse(ttlText, "ttl", LeaseController.MIN_TTL, LeaseController.MAX_TTL);
        List<TxnCommand.Compare> compare = compares(key, pre);
        // The failure branch reads the key, so a failed condition can say which revision the key is at.
        List<TxnCommand.Op> failure = List.of(new TxnCommand.Get(key));
        long proposedAt = System.currentTimeMillis();
        TxnCommand txn = new TxnCommand(compare, List.of(new TxnCommand.Put(key, value, contentType, lease)), failure, idem, proposedAt);
        TxnQuota.requireRoom(node, txn);
        return router.onLeader(req, LeaderRouter.Kind.WRITE,
                () -> ttl == null ? node.write(txn) : node.write(new LeaseCommand.GrantWith(node.status().term(), ttl.toMillis(), txn)),
                r -> ttl == null ? answer(key, r) : withOwnLease(answer(key, r), r));
    }

    /** A TTL put that succeeded granted the lease whose id is its revision: say which, for keepalives. */
    private static ResponseEntity<Object> withOwnLease(ResponseEntity<Object> answer, WriteResult r) {
        if (r instanceof WriteResult.TxnDone done && done.succeeded()) {
            return ResponseEntity.status(answer.getStatusCode()).headers(answer.getHeaders())
                    .header(LEASE_HEADER, Long.toString(done.revision())).body(answer.getBody());
        }
        return answer;
    }

    /** The PUT's precondition as comparisons; an absent key has create revision 0. */
    private static List<TxnCommand.Compare> compares(String key, Precondition pre) {
        if (pre instanceof Precondition.Revision r) {
            return List.of(new TxnCommand.Compare(key, TxnCommand.Target.CREATE_REVISION, TxnCommand.Operator.GREATER, 0, null),
                    new TxnCommand.Compare(key, TxnCommand.Target.MOD_REVISION, TxnCommand.Operator.EQUAL, r.revision(), null));
        }
        if (pre instanceof Precondition.Absent) {
            return List.of(new TxnCommand.Compare(key, TxnCommand.Target.CREATE_REVISION, TxnCommand.Operator.EQUAL, 0, null));
        }
        if (pre instanceof Precondition.Present) {
            return List.of(new TxnCommand.Compare(key, TxnCommand.Target.CREATE_REVISION, TxnCommand.Operator.GREATER, 0, null));
        }
        return List.of();
    }

    private static ResponseEntity<Object> answer(String key, WriteResult r) {
        if (r instanceof WriteResult.TxnDone done) {
            if (done.succeeded()) {
                boolean created = ((WriteResult.PutDone) done.results().get(0)).created();
                return KvController.answer(key, new WriteResult.Written(done.revision(), created));
            }
            var current = ((WriteResult.GetDone) done.results().get(0)).kv();
            return KvController.answer(key, new WriteResult.PreconditionFailed(current == null ? 0 : current.modRevision()));
        }
        if (r instanceof WriteResult.LeaseNotFound nf) {
            return LeaseController.notFound(nf.id());
        }
        return KvController.answer(key, r);
    }
}
