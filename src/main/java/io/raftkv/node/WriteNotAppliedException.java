package io.raftkv.node;

/** The write certainly did not and never will take effect (its log slot went to another entry). Retrying is safe. */
public final class WriteNotAppliedException extends RuntimeException {
    public WriteNotAppliedException(String message) {
        super(message);
    }
}
