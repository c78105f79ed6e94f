package io.raftkv.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/** Turns what controllers throw into problem+json; everything Spring itself rejects is a problem too (spring.mvc.problemdetails). */
@RestControllerAdvice
final class ProblemAdvice {
    private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

    @ExceptionHandler(BadRequestException.class)
    ResponseEntity<Object> badRequest(BadRequestException e) {
        return Problems.of(e.status(), e.slug(), e.getMessage());
    }

    @ExceptionHandler(WatchGoneException.class)
    ResponseEntity<Object> watchGone(WatchGoneException e) {
        return Problems.of(HttpStatus.GONE, "gone", e.getMessage(),
                Map.of("resumeRevision", e.from(), "oldestRevision", e.oldestRevision()));
    }

    @ExceptionHandler(MissingRequestHeaderException.class)
    ResponseEntity<Object> missingHeader(MissingRequestHeaderException e) {
        return Problems.of(HttpStatus.BAD_REQUEST, "missing-header", "the " + e.getHeaderName() + " header is required");
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Object> badArgument(MethodArgumentTypeMismatchException e) {
        return Problems.of(HttpStatus.BAD_REQUEST, "bad-parameter", "'" + e.getName() + "' has an invalid value");
    }

    /**
     * What is left: exceptions that are the client's fault although they do not look like it (a
     * query string Tomcat cannot decode, a body that ends early) get their 4xx; anything else is a bug.
     */
    @ExceptionHandler({RuntimeException.class, IOException.class})
    ResponseEntity<Object> unexpected(Exception e) {
        Optional<ClientErrors.ClientError> client = ClientErrors.classify(e);
        if (client.isPresent()) {
            return Problems.of(client.get().status(), client.get().slug(), client.get().detail());
        }
        log.error("unexpected error serving a request", e);
        return Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error",
                "an unexpected error occurred; nothing is known about the outcome of a write made with this request");
    }
}
