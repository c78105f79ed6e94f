package io.raftkv.raft;

/**
 * A membership change the leader will not propose now. {@code retryable} when it is only a matter
 * of time (another change is not committed yet, or this leader has not committed in its term);
 * otherwise the change itself is not one safe step.
 */
public final class MembershipChangeException extends RuntimeException {
    private final boolean retryable;

    public MembershipChangeException(boolean retryable, String message) {
        super(message);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
