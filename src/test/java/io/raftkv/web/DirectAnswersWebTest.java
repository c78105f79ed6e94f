package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import io.raftkv.config.NodeParts;
import io.raftkv.node.Clock;
import io.raftkv.node.RaftKvNode;
import io.raftkv.raft.Entry;
import io.raftkv.raft.ForwardingLogStore;
import io.raftkv.raft.LogStore;
import io.raftkv.raft.Message;
import io.raftkv.raft.RaftStorage;
import io.raftkv.raft.storage.MemoryLogStore;
import io.raftkv.raft.storage.MemorySnapshotStore;
import io.raftkv.raft.storage.MemoryStableStore;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Answers that wait for Raft (writes, linearizable reads) are written without a second dispatch of
 * the request through the servlet pipeline, and still carry everything the first pass set: the
 * security chain's headers, the browser-safety headers, the entity's own headers and body.
 */
@SpringBootTest(classes = {RaftKvApplication.class, DirectAnswersWebTest.CountAsyncDispatches.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "logging.level.root=warn")
class DirectAnswersWebTest extends OneNodeWebTest {

    @TestConfiguration
    static class CountAsyncDispatches {
        final AtomicInteger asyncDispatches = new AtomicInteger();
        final AtomicReference<Boolean> committedInPipeline = new AtomicReference<>();
        /** Closed while a request under /kv/held/ is in its handler: the log's appends wait, so its write cannot commit yet. */
        final AtomicBoolean gateClosed = new AtomicBoolean();

        /**
         * The node's storage in memory, its log's appends waiting while the gate is closed. Without the
         * gate a write on one node can be applied before its handler hands the future over, and its
         * answer is then written at once, on the request's thread (the path of an answer already known).
         */
        @Bean
        NodeParts gatedLog() {
            return (settings, metrics) -> new RaftKvNode.Parts(
                    new RaftStorage(new GatedLog(new MemoryLogStore(), gateClosed), new MemoryStableStore(), new MemorySnapshotStore()),
                    "one-node", (directory, unreachable, gone, snapshotOutcome) -> new RaftKvNode.Transport() {
                        @Override
                        public void send(Message m) {
                            throw new AssertionError("a node alone sent " + m);
                        }

                        @Override
                        public void close() {
                        }
                    }, Clock.SYSTEM, null);
        }

        /**
         * For writes under /kv/held/: holds the write's commit until the handler has returned, then waits
         * in the pipeline until the write has been applied (its answer is ready), gives a writer that does
         * not wait its chance to commit the response, and touches the response as Spring Security's header
         * writer does.
         */
        @Bean
        FilterRegistrationBean<Filter> workAfterTheHandler(ObjectProvider<RaftKvNode> node) {
            FilterRegistrationBean<Filter> r = new FilterRegistrationBean<>((req, resp, chain) -> {
                String uri = ((HttpServletRequest) req).getRequestURI();
                if (!uri.startsWith("/kv/held/")) {
                    chain.doFilter(req, resp);
                    return;
                }
                gateClosed.set(true);
                try {
                    chain.doFilter(req, resp);
                } finally {
                    gateClosed.set(false);
                }
                String key = uri.substring("/kv/".length());
                long applied = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (node.getObject().stateMachine().get(key).isEmpty() && System.nanoTime() < applied) {
                    pause();
                }
                long window = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (!resp.isCommitted() && System.nanoTime() < window) {
                    pause();
                }
                committedInPipeline.set(resp.isCommitted());
                ((HttpServletResponse) resp).setHeader("X-Set-After-The-Handler", "yes");
            });
            r.setDispatcherTypes(DispatcherType.REQUEST);
            return r;
        }

        private static void pause() {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Bean
        FilterRegistrationBean<Filter> asyncDispatchCounter() {
            FilterRegistrationBean<Filter> r = new FilterRegistrationBean<>((req, resp, chain) -> {
                asyncDispatches.incrementAndGet();
                chain.doFilter(req, resp);
            });
            r.setDispatcherTypes(DispatcherType.ASYNC);
            return r;
        }
    }

    /** A log whose appends wait while {@code closed} is set (for at most 10 s, so a broken test cannot hang the node). */
    static final class GatedLog extends ForwardingLogStore {
        private final AtomicBoolean closed;

        GatedLog(LogStore log, AtomicBoolean closed) {
            super(log);
            this.closed = closed;
        }

        @Override
        public void append(List<Entry> entries) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (closed.get() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            super.append(entries);
        }
    }

    @Autowired
    CountAsyncDispatches counter;

    @BeforeEach
    void reset() {
        counter.asyncDispatches.set(0);
    }

    private WebHttp http() {
        return new WebHttp(port);
    }

    private static void hasTheFirstPassHeaders(HttpResponse<String> answer) {
        assertThat(answer.headers().firstValue("X-Frame-Options")).as("Spring Security's headers").hasValue("DENY");
        assertThat(answer.headers().firstValue("X-Content-Type-Options")).hasValue(SecurityHeaders.NOSNIFF);
        assertThat(answer.headers().firstValue("Content-Security-Policy")).hasValue(SecurityHeaders.CSP);
    }

    @Test
    void writesAndLinearizableReadsAreAnsweredWithoutASecondDispatch() {
        HttpResponse<String> put = http().send("PUT", "/kv/direct/a", null, "v1", "Content-Type", "text/plain");
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.headers().firstValue("Location")).hasValue("/kv/direct/a");
        assertThat(put.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        assertThat(put.body()).contains("\"key\":\"direct/a\"", "\"created\":true");
        assertThat(put.headers().firstValue("Content-Length")).as("sent whole, not chunked").hasValue(Integer.toString(put.body().length()));
        hasTheFirstPassHeaders(put);

        HttpResponse<String> get = http().get("/kv/direct/a", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("v1");
        assertThat(get.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        hasTheFirstPassHeaders(get);

        String etag = get.headers().firstValue("ETag").orElseThrow();
        assertThat(http().send("GET", "/kv/direct/a", null, null, "If-None-Match", etag).statusCode()).isEqualTo(304);

        HttpResponse<String> failed = http().send("PUT", "/kv/direct/a", null, "v2", "If-Match", "\"1\"");
        assertThat(failed.statusCode()).isEqualTo(412);
        assertThat(failed.headers().firstValue("Content-Type"))
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(failed.body()).contains("\"instance\":\"/kv/direct/a\"");
        hasTheFirstPassHeaders(failed);

        HttpResponse<String> delete = http().delete("/kv/direct/a", null);
        assertThat(delete.statusCode()).isEqualTo(204);
        assertThat(http().get("/kv/direct/a", null).statusCode()).isEqualTo(404);

        assertThat(counter.asyncDispatches).as("asynchronous dispatches").hasValue(0);
    }

    /**
     * A write on one node can commit before the request's thread has left the servlet pipeline. Its
     * answer waits for that thread: written beside it, the two corrupted the response's header list
     * and the client's connection closed with no answer ("header parser received no bytes").
     */
    @Test
    void anAnswerReadyWhileTheRequestIsStillInThePipelineIsWrittenAfterItLeaves() {
        HttpResponse<String> put = http().send("PUT", "/kv/held/a", null, "v1", "Content-Type", "text/plain");
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(counter.committedInPipeline)
                .as("committed while a filter still worked on the response (null: the answer arrived before the filter was done)")
                .hasValue(false);
        assertThat(put.headers().firstValue("X-Set-After-The-Handler")).as("what the pipeline set last is in the answer").hasValue("yes");
        assertThat(put.body()).contains("\"key\":\"held/a\"", "\"created\":true");
        hasTheFirstPassHeaders(put);
    }
}
