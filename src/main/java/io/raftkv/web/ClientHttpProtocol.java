package io.raftkv.web;

import org.apache.coyote.Processor;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.coyote.http11.Http11Processor;
import org.apache.tomcat.util.net.AbstractEndpoint.Handler.SocketState;
import org.apache.tomcat.util.net.SocketWrapperBase;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The client port's HTTP/1.1 protocol: Tomcat's NIO one, with processors that may be recycled, on an
 * endpoint whose connections take turns ({@link TakingTurnsEndpoint}).
 *
 * <p>Tomcat hands a connection's processor back to its cache after every request of a kept-alive
 * connection, not only when the connection closes, and takes one from the cache for the next. With
 * no cache it makes a new one for every request: two header buffers of
 * {@code max-http-request-header-size} and the request and response objects, most of what the client
 * port allocated per request (under stale-read load the leader collected its young generation 16
 * times a second with no cache, 6 with one).
 *
 * <p>A recycled processor, though, keeps the HTTP/0.9 mark of its last request: Tomcat sets it only
 * once a request line parses, so when the next request line is too long to parse, its 400 went out
 * without a status line (ClientPortAnswersTest). Each processor here clears the mark before it serves
 * a connection, which is what a new processor had. Tomcat keeps the mark in a private field: if a
 * Tomcat upgrade renames it, the node fails at start instead of answering without status lines.
 */
public final class ClientHttpProtocol extends Http11NioProtocol {
    private static final VarHandle HTTP09 = http09();

    public ClientHttpProtocol() {
        super(new TakingTurnsEndpoint());
    }

    @Override
    protected Processor createProcessor() {
        return new Http11Processor(this, getAdapter()) {
            @Override
            public SocketState service(SocketWrapperBase<?> socketWrapper) throws IOException {
                HTTP09.set(this, false);
                return super.service(socketWrapper);
            }
        };
    }

    private static VarHandle http09() {
        try {
            return MethodHandles.privateLookupIn(Http11Processor.class, MethodHandles.lookup())
                    .findVarHandle(Http11Processor.class, "http09", boolean.class);
        } catch (ReflectiveOperationException | SecurityException e) {
            throw new IllegalStateException("this Tomcat's Http11Processor has no http09 field to clear between connections;"
                    + " set server.tomcat.processor-cache: 0 and drop ClientHttpProtocol", e);
        }
    }
}
