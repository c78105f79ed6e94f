package io.raftkv.web;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Tomcat refuses some requests before Spring sees them (a URI that is not valid UTF-8, a malformed
 * request line, headers too large). This valve answers those with problem+json too, instead of
 * Tomcat's HTML page, so that every error a client gets has the same shape.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            String detail = status == 400
                    ? "the request could not be parsed (for example, a path that is not valid UTF-8 once percent-decoded)"
                    : "the request was refused by the HTTP server with status " + status;
            Writer w = response.getReporter();
            if (w != null) {
                w.write("{\"type\":\"" + Problems.TYPE_BASE + "bad-http-request\",\"status\":" + status
                        + ",\"detail\":\"" + detail + "\"}");
                w.flush();
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away; nothing to report to
        }
    }
}
