package io.raftkv.web;

import org.apache.tomcat.util.http.InvalidParameterException;
import org.springframework.http.HttpStatus;

import java.io.IOException;
import java.util.Optional;

/**
 * Recognises exceptions that are the client's fault even though they surface as server-side
 * exceptions: a query string that cannot be decoded, a request body that ends early or never
 * arrives. They are answered with a 4xx, never a 500, because a 500 would tell the client that a
 * write might have happened. Used by both {@link ProblemAdvice} (inside Spring MVC) and
 * {@link ProblemErrorReportValve} (anything that escapes to the container), so the mapping lives
 * in one place.
 */
final class ClientErrors {
    private ClientErrors() {
    }

    record ClientError(HttpStatus status, String slug, String detail) {
    }

    static Optional<ClientError> classify(Throwable t) {
        for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof InvalidParameterException p) {
                HttpStatus status = HttpStatus.resolve(p.getErrorCode());
                return Optional.of(new ClientError(status != null && status.is4xxClientError() ? status : HttpStatus.BAD_REQUEST,
                        "bad-query", "the query string could not be decoded: every '%' must start an escape of two hex digits "
                        + "(%XX), the escaped bytes must be valid UTF-8, and there may be at most the allowed number of parameters"));
            }
            if (e instanceof IOException) {
                // Reading the request is the only I/O a request handler does on the client's socket.
                return Optional.of(new ClientError(HttpStatus.BAD_REQUEST, "incomplete-body",
                        "the request body ended before its declared length, or did not arrive in time"));
            }
        }
        return Optional.empty();
    }
}
