package io.raftkv.node;

/**
 * A request refused before anything was proposed, because this node holds as much client work as
 * its limits allow (pending writes or their bytes, the apply backlog, pending reads). Nothing
 * changed; retrying after {@link #retryAfterSeconds()} is safe.
 */
public final class OverloadedException extends RuntimeException {
    private final String reason;
    private final int retryAfterSeconds;

    public OverloadedException(String reason, String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** A stable slug: {@code pending-writes}, {@code pending-bytes}, {@code apply-backlog}, {@code pending-reads}, {@code quota-pending}. */
    public String reason() {
        return reason;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
