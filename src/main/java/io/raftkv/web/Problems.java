package io.raftkv.web;

import io.raftkv.http.ProblemJson;
import io.raftkv.node.OverloadedException;
import io.raftkv.node.StoreFullException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

import java.net.URI;
import java.util.Map;

/** Builds RFC 9457 problem responses: a stable {@code type} per kind of problem and a detail that says what to do. */
final class Problems {
    static final String TYPE_BASE = ProblemJson.TYPE_BASE;

    private Problems() {
    }

    static ProblemDetail detail(HttpStatus status, String slug, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create(TYPE_BASE + slug));
        return p;
    }

    static ResponseEntity<Object> of(HttpStatus status, String slug, String detail) {
        return of(status, slug, detail, Map.of());
    }

    static ResponseEntity<Object> of(HttpStatus status, String slug, String detail, Map<String, Object> properties) {
        ProblemDetail p = detail(status, slug, detail);
        properties.forEach(p::setProperty);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }

    /** 429: the node holds as much client work as its limits allow; nothing was proposed, so retrying is safe. */
    static ResponseEntity<Object> overloaded(OverloadedException e) {
        ProblemDetail p = detail(HttpStatus.TOO_MANY_REQUESTS, "too-many-requests", e.getMessage());
        p.setProperty("reason", e.reason());
        p.setProperty("outcome", "not-proposed");
        p.setProperty("retryable", true);
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()))
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }

    /** 507: the write would take the store past its quota; nothing was proposed. Like etcd's NOSPACE. */
    static ResponseEntity<Object> storeFull(StoreFullException e) {
        return of(HttpStatus.INSUFFICIENT_STORAGE, "store-full", e.getMessage(), Map.of(
                "usedBytes", e.usedBytes(), "quotaBytes", e.quotaBytes(), "writeBytes", e.writeBytes(),
                "outcome", "not-proposed"));
    }

    /** A 503 the client should retry after a moment. */
    static ResponseEntity<Object> unavailable(String slug, String detail, Map<String, Object> properties) {
        ProblemDetail p = detail(HttpStatus.SERVICE_UNAVAILABLE, slug, detail);
        properties.forEach(p::setProperty);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "1")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }
}
