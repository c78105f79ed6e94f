package io.raftkv.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

import java.io.IOException;

/**
 * Values are arbitrary bytes with the content type their writer chose, served from the node's own
 * origin. A value stored as {@code text/html} must never run as a page there (stored XSS), so every
 * response tells browsers not to sniff a type and to treat the document as a sandboxed, script-less,
 * opaque-origin page that may load nothing and may not be framed. No client of this API is
 * affected: none of its responses is meant to be rendered.
 * <p>
 * A valve at the start of the context's pipeline, so the headers are on every answer whoever writes
 * it: controllers, filters that answer early, Spring's error handling; {@link ProblemErrorReportValve}
 * sets them again after the container resets a failed response.
 */
final class SecurityHeaders extends ValveBase {
    static final String NOSNIFF = "nosniff";
    static final String CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";

    SecurityHeaders() {
        super(true);
    }

    static void apply(HttpServletResponse resp) {
        resp.setHeader("X-Content-Type-Options", NOSNIFF);
        resp.setHeader("Content-Security-Policy", CSP);
    }

    /**
     * Tomcat still serves HTTP/0.9 ({@code GET /kv/x} with no version, or a version it cannot read):
     * the answer is the bare body, with no status line and no headers, so a value would go out
     * without these headers. Such a request is refused before it reaches the API, and what goes back
     * is at most a problem body, never a value.
     */
    static boolean http09(Request request) {
        return request.getProtocol() == null || request.getProtocol().isEmpty();
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        if (http09(request)) {
            apply(response);
            response.sendError(400);
            return;
        }
        apply(response);
        getNext().invoke(request, response);
    }
}
