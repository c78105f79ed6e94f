package io.raftkv.web;

import io.raftkv.http.ProblemJson;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The one place where every error that Spring MVC did not answer itself becomes problem+json:
 * requests Tomcat refuses before any application code runs (a malformed request line, a path that
 * is not valid UTF-8, headers too large, conflicting lengths, an unknown transfer coding),
 * {@code sendError} from a filter or from Tomcat (TRACE, CONNECT), and exceptions that escape the filter
 * chain. Spring Boot's {@code /error} page is switched off
 * ({@code spring.autoconfigure.exclude} in application.yml) so that nothing answers in another shape.
 * <p>
 * Exceptions that are the client's fault (see {@link ClientErrors}) are answered with their 4xx
 * instead of the container's 500.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {
    private static final Logger log = LoggerFactory.getLogger(ProblemErrorReportValve.class);

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        if (response.getStatus() < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        try {
            Optional<ClientErrors.ClientError> client = ClientErrors.classify(throwable);
            int status = client.map(c -> c.status().value()).orElse(refused(response.getStatus(), request));
            String slug = client.map(ClientErrors.ClientError::slug).orElse(slug(status));
            String detail = client.map(ClientErrors.ClientError::detail).orElseGet(() -> detail(status, response.getStatus(), request, throwable));
            if (status >= 500) {
                log.error("unexpected error serving {} {}", request.getMethod(), request.getRequestURI(), throwable);
            }
            response.setStatus(status);
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            SecurityHeaders.apply(response);
            Writer w = response.getReporter();
            if (w != null) {
                w.write(ProblemJson.of(status, slug, detail));
                w.flush();
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away; nothing to report to
        }
    }

    /**
     * Tomcat answers CONNECT, a transfer coding it does not implement and an HTTP version other
     * than 1.x with 501 or 505. Both say "server error" to a client that sent a bad request, and this
     * API's rule is that a 5xx other than 503 is a bug: CONNECT is a method not allowed here (405),
     * the others are requests this server refuses (400), which RFC 9110 and 9112 permit.
     */
    private static int refused(int status, Request request) {
        if (status == 501 && "CONNECT".equals(request.getMethod())) {
            return 405;
        }
        return status == 501 || status == 505 ? 400 : status;
    }

    private static String slug(int status) {
        return switch (status) {
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not-found";
            case 405 -> "method-not-allowed";
            case 500 -> "internal-error";
            default -> "bad-http-request";
        };
    }

    private static String detail(int status, int tomcatStatus, Request request, Throwable throwable) {
        String method = request.getMethod() == null ? "" : request.getMethod();
        String parser = throwable instanceof IllegalArgumentException && throwable.getMessage() != null
                ? ": " + throwable.getMessage() : "";
        if (tomcatStatus == 501 && status == 400) {
            return "the request uses a transfer coding this server does not implement" + parser
                    + "; send a body with Content-Length or Transfer-Encoding: chunked";
        }
        if (tomcatStatus == 505) {
            return "only HTTP/1.0 and HTTP/1.1 are served on this port";
        }
        return switch (status) {
            case 400 -> SecurityHeaders.http09(request) ? "only HTTP/1.0 and HTTP/1.1 are served on this port (the request line has no version this server can read)"
                    : "the request is not valid HTTP/1.1" + (parser.isEmpty()
                    ? " (for example, a malformed request line, a path that is not valid UTF-8 once percent-decoded, "
                    + "headers larger than the server accepts, or conflicting Content-Length headers)" : parser);
            case 401 -> "this request needs valid credentials (Authorization: Bearer <token>)";
            case 403 -> "the credentials sent do not allow this request";
            case 404 -> "there is nothing at this path";
            case 405 -> "the method '" + method + "' is not allowed on this path";
            case 413 -> "the request is larger than the server accepts";
            case 500 -> "an unexpected error occurred; nothing is known about the outcome of a write made with this request";
            default -> "the request was refused by the HTTP server with status " + status + parser;
        };
    }
}
