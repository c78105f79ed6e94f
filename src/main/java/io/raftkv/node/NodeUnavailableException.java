package io.raftkv.node;

/** This node cannot serve the request at all right now: its storage failed, or it is shutting down. */
public final class NodeUnavailableException extends RuntimeException {
    public NodeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
