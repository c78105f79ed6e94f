package io.raftkv.web;

import org.springframework.http.HttpStatus;

/** Input the API refuses, answered with a 4xx problem and no change to stored data. */
public final class BadRequestException extends RuntimeException {
    private final HttpStatus status;
    private final String slug;

    public BadRequestException(HttpStatus status, String slug, String detail) {
        super(detail);
        this.status = status;
        this.slug = slug;
    }

    public static BadRequestException badRequest(String slug, String detail) {
        return new BadRequestException(HttpStatus.BAD_REQUEST, slug, detail);
    }

    public HttpStatus status() {
        return status;
    }

    public String slug() {
        return slug;
    }
}
