package io.raftkv.node;

import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import java.time.Duration;
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

    private volatile OkHttpClient http;

    public PeerClient(Tls tls) {
        this.http = build(tls);
    }

    OkHttpClient http() {
        return http;
    }

    public void useTls(Tls tls) {
        OkHttpClient old = http;
        http = build(tls);
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
        }
        return b.build();
    }
}
