package io.raftkv.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * Follows raftkv's {@code 307}/{@code 308} redirects to the leader the way {@code curl -L} does
 * (same method, body and headers), one exchange per hop.
 *
 * <p>Why not {@code HttpClient.Redirect.NORMAL}: on JDK 17 a request with a timeout that is
 * redirected leaves the first hop's timer running (JDK-8304701, fixed in JDK 22). When it fires it
 * aborts whatever request is then in flight on that pooled HTTP/1.1 connection, and that request
 * fails with "header parser received no bytes" although the server answered everything it got.
 * Here every hop is an exchange of its own, whose timer ends with it. {@code RedirectsTest} shows both.
 */
public final class Redirects {
    private static final int MAX_HOPS = 5;

    private Redirects() {
    }

    /** {@code client} must not follow redirects itself. */
    public static <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> body)
            throws IOException, InterruptedException {
        if (client.followRedirects() != HttpClient.Redirect.NEVER) {
            throw new IllegalArgumentException("the client must not follow redirects itself (JDK-8304701)");
        }
        HttpRequest hop = request;
        HttpResponse<T> previous = null;
        for (int i = 0; ; i++) {
            HttpResponse<T> r = new Hop<>(client.send(hop, body), previous);
            Optional<String> location = r.headers().firstValue("Location");
            if ((r.statusCode() != 307 && r.statusCode() != 308) || location.isEmpty() || i == MAX_HOPS) {
                return r;
            }
            URI next = hop.uri().resolve(location.get());
            hop = HttpRequest.newBuilder(hop, (name, value) -> true).uri(next).build();
            previous = r;
        }
    }

    /** A hop's response that, like the JDK's own redirect following, names the hop before it. */
    private record Hop<T>(HttpResponse<T> response, HttpResponse<T> previous) implements HttpResponse<T> {
        @Override
        public int statusCode() {
            return response.statusCode();
        }

        @Override
        public HttpRequest request() {
            return response.request();
        }

        @Override
        public Optional<HttpResponse<T>> previousResponse() {
            return Optional.ofNullable(previous);
        }

        @Override
        public HttpHeaders headers() {
            return response.headers();
        }

        @Override
        public T body() {
            return response.body();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return response.sslSession();
        }

        @Override
        public URI uri() {
            return response.uri();
        }

        @Override
        public HttpClient.Version version() {
            return response.version();
        }
    }
}
