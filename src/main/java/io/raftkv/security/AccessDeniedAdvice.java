package io.raftkv.security;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import java.net.URI;

/**
 * A permission hook ({@link Callers}) failing inside a handler is a 403 problem, answered before
 * the generic advice would call it an unexpected error.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
final class AccessDeniedAdvice {
    private final DeniedRequests denied;

    AccessDeniedAdvice(DeniedRequests denied) {
        this.denied = denied;
    }

    @ExceptionHandler(AccessDeniedException.class)
    ResponseEntity<ProblemDetail> denied(AccessDeniedException e) {
        denied.forbidden();
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, e.getMessage());
        p.setType(URI.create(SecurityProblems.TYPE_BASE + "forbidden"));
        return ResponseEntity.status(HttpStatus.FORBIDDEN).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }
}
