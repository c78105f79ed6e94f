package io.raftkv.node;

/**
 * The write was proposed but this node cannot tell whether it committed: it lost leadership, or the
 * commit took longer than the request timeout. The write may still take effect. Retrying with the
 * same Idempotency-Key is safe; retrying without one may apply it twice.
 */
public final class WriteOutcomeUnknownException extends RuntimeException {
    public WriteOutcomeUnknownException(String message) {
        super(message);
    }
}
