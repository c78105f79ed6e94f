package io.raftkv.web;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.MethodParameter;
import org.springframework.http.ResponseEntity;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.method.support.HandlerMethodReturnValueHandler;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes the answer of a request that waits for Raft (a write to commit, a read index to be
 * confirmed) when it is ready, on one of the client port's worker threads, without dispatching the
 * request through the servlet pipeline a second time. A handler returning a future has Spring MVC
 * re-dispatch the request once the future completes: the whole filter chain (security, request
 * context, encoding), the handler lookup and the handler call again, only to write what the future
 * holds; under put load on the leader a profile put about a sixth of the client threads' time in
 * that second pass.
 *
 * <p>The answer is written by Spring MVC's own {@code ResponseEntity} writer (the same message
 * converters, content negotiation and conditional-request handling as a returned entity), and an
 * exception goes to Spring MVC's exception resolvers ({@link ProblemAdvice} and Spring's own problem
 * details), as an exception of the second pass did, so the HTTP contract is unchanged. An
 * answer that is already known (a redirect to the leader, a refusal) is written at once, without
 * going asynchronous at all. An answer that becomes ready while the request's thread is still in
 * the servlet pipeline waits for it to leave ({@link AnswerRelease}): two threads never work on
 * one response.
 */
final class DirectAnswers {
    private static final Logger log = LoggerFactory.getLogger(DirectAnswers.class);
    private static final MethodParameter ENTITY = entityReturnType();

    private final HandlerMethodReturnValueHandler writer;
    private final HandlerExceptionResolver resolver;

    /** {@code resolver}: the dispatcher's own chain of exception resolvers. */
    DirectAnswers(RequestMappingHandlerAdapter adapter, HandlerExceptionResolver resolver) {
        this.writer = entityWriter(adapter.getReturnValueHandlers());
        this.resolver = resolver;
    }

    /** Answers {@code req} with what {@code answer} completes with, now or when it completes. */
    void send(HttpServletRequest req, HttpServletResponse resp, CompletableFuture<ResponseEntity<Object>> answer) {
        if (answer.isDone()) {
            write(req, resp, answer);
            return;
        }
        AsyncContext async = req.startAsync(req, resp);
        Held held = new Held(async, () -> {
            try {
                write(req, resp, answer);
            } finally {
                async.complete();
            }
        });
        if (req.getAttribute(AnswerRelease.GUARDED) != null) {
            req.setAttribute(AnswerRelease.HELD, held);
        } else {
            held.pipelineLeft(); // no AnswerRelease valve in front (not the client server): nothing to wait for
        }
        answer.whenComplete((r, e) -> held.futureDone());
    }

    /**
     * An answer written once both its future has completed and the request's thread has left the
     * servlet pipeline ({@link AnswerRelease}), whichever comes last.
     */
    static final class Held {
        private final AtomicInteger awaiting = new AtomicInteger(2);
        private final AsyncContext async;
        private final Runnable writeAndComplete;

        Held(AsyncContext async, Runnable writeAndComplete) {
            this.async = async;
            this.writeAndComplete = writeAndComplete;
        }

        /** On the thread that completed the future (the Raft or apply loop): the write goes to a worker, so a slow client never holds up the node. */
        void futureDone() {
            if (awaiting.decrementAndGet() == 0) {
                async.start(writeAndComplete);
            }
        }

        /** On the request's own worker thread, out of the pipeline: it may write the answer itself. */
        void pipelineLeft() {
            if (awaiting.decrementAndGet() == 0) {
                writeAndComplete.run();
            }
        }
    }

    private void write(HttpServletRequest req, HttpServletResponse resp, CompletableFuture<ResponseEntity<Object>> answer) {
        try {
            writer.handleReturnValue(answer.join(), ENTITY, new ModelAndViewContainer(), new ServletWebRequest(req, resp));
        } catch (CompletionException e) {
            resolve(req, resp, e.getCause() instanceof Exception x ? x : e);
        } catch (Exception e) {
            resolve(req, resp, e);
        }
    }

    private void resolve(HttpServletRequest req, HttpServletResponse resp, Exception e) {
        if (resp.isCommitted()) {
            // Part of the answer is out (the client went away while it was written): nothing else can be said.
            log.debug("answer to {} {} cut short: {}", req.getMethod(), req.getRequestURI(), e.toString());
            return;
        }
        if (resolver.resolveException(req, resp, null, e) == null) {
            log.error("unexpected error serving a request", e);
            try {
                resp.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR); // answered by ProblemErrorReportValve
            } catch (IOException io) {
                log.debug("could not answer {} {}: {}", req.getMethod(), req.getRequestURI(), io.toString());
            }
        }
    }

    private static HandlerMethodReturnValueHandler entityWriter(List<HandlerMethodReturnValueHandler> handlers) {
        if (handlers != null) {
            for (HandlerMethodReturnValueHandler h : handlers) {
                if (h.supportsReturnType(ENTITY)) {
                    return h;
                }
            }
        }
        throw new IllegalStateException("Spring MVC has no writer of ResponseEntity return values");
    }

    /** The return type the writer is asked about: a {@code ResponseEntity<Object>}, as the handlers used to return. */
    static ResponseEntity<Object> entity() {
        return null;
    }

    private static MethodParameter entityReturnType() {
        try {
            return new MethodParameter(DirectAnswers.class.getDeclaredMethod("entity"), -1);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }
}
