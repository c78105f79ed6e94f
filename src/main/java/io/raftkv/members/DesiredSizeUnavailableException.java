package io.raftkv.members;

/** The desired size cannot be read now; the message says why and what would fix it. */
public final class DesiredSizeUnavailableException extends RuntimeException {
    public DesiredSizeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
