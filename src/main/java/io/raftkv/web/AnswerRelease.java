package io.raftkv.web;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

import java.io.IOException;

/**
 * Tells {@link DirectAnswers} when a request's thread has left the servlet pipeline, so an answer
 * that is ready early is not written while that thread still works on the same response. Filters
 * go on touching the response after the handler returns (Spring Security's header writer sets its
 * headers then, Spring MVC checks for a Cache-Control header), and Tomcat's response is not made
 * for two threads: when a write on one node committed within microseconds, the worker writing the
 * answer and the request's thread corrupted the header list together, and the client's connection
 * was closed with no answer ("header parser received no bytes").
 *
 * <p>The first valve of the client context's pipeline, so everything the filters and the servlet do
 * is over when it releases the answer.
 */
final class AnswerRelease extends ValveBase {
    /** Set while the request is inside this valve: where it is missing, nothing would release a held answer. */
    static final String GUARDED = AnswerRelease.class.getName() + ".guarded";
    /** The held answer of the request, if its handler left one. */
    static final String HELD = AnswerRelease.class.getName() + ".held";

    AnswerRelease() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        request.setAttribute(GUARDED, Boolean.TRUE);
        try {
            getNext().invoke(request, response);
        } finally {
            if (request.getAttribute(HELD) instanceof DirectAnswers.Held held) {
                held.pipelineLeft();
            }
        }
    }
}
