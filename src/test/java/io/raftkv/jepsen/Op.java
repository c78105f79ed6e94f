package io.raftkv.jepsen;

import io.raftkv.check.KvOp;

import java.util.List;

/**
 * One client operation as the recording client saw it, from the start of its first attempt to the
 * answer that settled it (or the moment the client gave up).
 *
 * <p>Times are nanoseconds since the run began, on the test JVM's monotonic clock, which every client
 * shares. {@code value} is what a write wrote or a read returned (null: absent); {@code expected} is
 * what a compare-and-set required (null: absent, i.e. {@code If-None-Match: *}); {@code swapped} is a
 * compare-and-set's verdict. {@code revision} is the revision the server reported (ETag of a read,
 * revision of a write), or 0; {@code status} the HTTP status of the answer that settled it (0: none).
 * {@code attempts} lists every HTTP exchange it took.
 */
public record Op(int client, long seq, KvOp.Kind kind, String key, String value, String expected, boolean swapped,
                 long invokedAt, long completedAt, KvOp.Outcome outcome, int status, long revision,
                 String idempotencyKey, List<Attempt> attempts, String error) {

    /**
     * One HTTP exchange: the node asked, the status (0 when no HTTP answer came) and what it said:
     * the problem type of an error, the leader a redirect named, or the network failure.
     */
    public record Attempt(long startedAt, long endedAt, String node, int status, String detail) {
        @Override
        public String toString() {
            return node + ":" + (status == 0 ? "" : status) + (detail == null ? "" : (status == 0 ? "" : "/") + detail);
        }
    }

    /** Reads are idempotent and writes carry an Idempotency-Key, so every retry is the same operation. */
    public boolean isWrite() {
        return kind != KvOp.Kind.GET;
    }

    /** The client got a definite answer: a value, an acknowledged write, or a refused compare-and-set. */
    public boolean succeeded() {
        return outcome == KvOp.Outcome.OK;
    }

    /** What the linearizability checker sees. A read that got no answer is passed as FAILED and ignored. */
    public KvOp toKvOp() {
        return new KvOp(client, kind, key, value, expected, swapped, invokedAt, completedAt, outcome);
    }

    public double latencyMillis() {
        return (completedAt - invokedAt) / 1e6;
    }

    /** The value this operation leaves in the key if it takes effect, for writes; DELETE leaves null. */
    public boolean writesValue() {
        return kind == KvOp.Kind.PUT || (kind == KvOp.Kind.CAS && (swapped || outcome == KvOp.Outcome.UNKNOWN));
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case PUT -> "put(" + value + ")";
            case GET -> "get()=" + value;
            case DELETE -> "delete()";
            case CAS -> "cas(" + expected + "->" + value + ")" + (outcome == KvOp.Outcome.OK ? (swapped ? "=swapped" : "=refused") : "");
        };
        return String.format("c%d#%d %s %s [%.3f..%.3f s] %s rev=%d %s%s", client, seq, key, what, invokedAt / 1e9,
                completedAt / 1e9, outcome, revision, attempts, error == null ? "" : " (" + error + ")");
    }
}
