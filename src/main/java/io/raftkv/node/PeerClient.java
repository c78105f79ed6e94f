package io.raftkv.node;

import okhttp3.ConnectionPool;
import okhttp3.ConnectionSpec;
import okhttp3.OkHttpClient;

import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP client peers are called with. With peer TLS it presents this node's certificate and
 * trusts only the peer trust store; {@link #useTls} swaps in a renewed certificate without a restart
 * (new connections use it at once, pooled ones are closed).
 */
public final class PeerClient {
    /** This node's key and the peers' trust, as the JDK's TLS needs them. */
    public record Tls(SSLSocketFactory socketFactory, X509TrustManager trustManager) {
    }

    /**
     * How often a peer stream sends a WebSocket ping. A stream whose pong has not come back by the next
     * ping is given up and opened again: that is how a connection that died without a reset (a NAT that
     * dropped its state, a cable pulled) is noticed, since the stream's own traffic is one-way.
     */
    static final Duration STREAM_PING_INTERVAL = Duration.ofSeconds(1);

    private volatile Clients clients;
    private final boolean tls;

    /** The client for requests, and the one for streams (same pool and TLS, plus pings); swapped together. */
    private record Clients(OkHttpClient http, OkHttpClient streams) {
        Clients(OkHttpClient http) {
            // Never compressed, whatever a peer's server would accept (see PeerServlet's stream upgrade).
            this(http, http.newBuilder().pingInterval(STREAM_PING_INTERVAL).dispatcher(streamDispatcher())
                    .minWebSocketMessageToCompress(Long.MAX_VALUE).build());
        }

        /**
         * An open WebSocket holds its dispatcher slot for as long as it lives, and OkHttp runs at most
         * 64 calls at once by default: four streams per peer would reach that at 17 members.
         */
        private static okhttp3.Dispatcher streamDispatcher() {
            okhttp3.Dispatcher d = new okhttp3.Dispatcher();
            d.setMaxRequests(4096);
            d.setMaxRequestsPerHost(4096);
            return d;
        }
    }

    public PeerClient(Tls tls) {
        this.clients = new Clients(build(tls));
        this.tls = tls != null;
    }

    /**
     * A peer URL with the scheme this client speaks: peer TLS is a setting of the whole cluster, and
     * the URLs stored in the membership keep the scheme they were bootstrapped with, so turning peer
     * TLS on (or off) for an existing cluster must not depend on them.
     */
    String withScheme(String url) {
        if (tls && url.startsWith("http://")) {
            return "https://" + url.substring("http://".length());
        }
        if (!tls && url.startsWith("https://")) {
            return "http://" + url.substring("https://".length());
        }
        return url;
    }

    OkHttpClient http() {
        return clients.http();
    }

    /** The client peer streams are opened with: pings every {@link #STREAM_PING_INTERVAL}. */
    OkHttpClient streams() {
        return clients.streams();
    }

    /** Open streams keep the certificate they were opened with until they are opened again. */
    public void useTls(Tls tls) {
        OkHttpClient old = clients.http();
        clients = new Clients(build(tls));
        old.connectionPool().evictAll();
    }

    private static OkHttpClient build(Tls tls) {
        OkHttpClient.Builder b = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofMillis(500))
                .readTimeout(Duration.ofSeconds(5))
                .writeTimeout(Duration.ofSeconds(5))
                // Idle connections close after 60 s, before the peer server's 120 s keep-alive timeout.
                .connectionPool(new ConnectionPool(8, 60, TimeUnit.SECONDS))
                .socketFactory(new NoDelaySocketFactory())
                .retryOnConnectionFailure(false);
        if (tls != null) {
            b.sslSocketFactory(tls.socketFactory(), tls.trustManager());
        } else {
            // Plain HTTP only: OkHttp's default specs include TLS, for which it would load and parse the
            // JDK's whole trust store while the node starts, only for peers it never reaches over TLS.
            b.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT));
        }
        return b.build();
    }
}
