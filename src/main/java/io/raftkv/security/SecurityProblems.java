package io.raftkv.security;

import io.raftkv.http.ProblemJson;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.MediaType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * 401 and 403 as problem+json, with the same type URIs as the rest of the API
 * ({@code https://raftkv.io/problems/unauthorized} and {@code .../forbidden}, see web/Problems).
 */
final class SecurityProblems implements AuthenticationEntryPoint, AccessDeniedHandler {
    static final String TYPE_BASE = ProblemJson.TYPE_BASE;

    private final DeniedRequests denied;

    SecurityProblems(DeniedRequests denied) {
        this.denied = denied;
    }

    @Override
    public void commence(HttpServletRequest req, HttpServletResponse resp, AuthenticationException e) throws IOException {
        boolean tokenGiven = req.getHeader("Authorization") != null;
        denied.unauthorized(tokenGiven);
        resp.setHeader("WWW-Authenticate", tokenGiven ? "Bearer error=\"invalid_token\"" : "Bearer");
        String detail = tokenGiven ? e.getMessage()
                : "this request needs a token: send 'Authorization: Bearer <token>'";
        write(resp, 401, "unauthorized", detail);
    }

    @Override
    public void handle(HttpServletRequest req, HttpServletResponse resp, AccessDeniedException e) throws IOException {
        denied.forbidden();
        String who = req.getUserPrincipal() == null ? "this token" : "the token '" + req.getUserPrincipal().getName() + "'";
        String path = req.getRequestURI();
        String detail = path.equals("/auth") || path.startsWith("/auth/")
                ? "only the root token may manage roles and tokens; " + who + " is not root"
                : path.equals("/snapshot") ? "only the root token may take a backup; " + who + " is not root"
                : who + " may not use " + path;
        write(resp, 403, "forbidden", detail);
    }

    static void write(HttpServletResponse resp, int status, String slug, String detail) throws IOException {
        if (resp.isCommitted()) {
            return;
        }
        resp.setStatus(status);
        resp.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        byte[] body = ProblemJson.of(status, slug, detail).getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

}
