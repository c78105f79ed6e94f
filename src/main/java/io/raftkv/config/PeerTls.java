package io.raftkv.config;

import io.raftkv.node.PeerClient;
import org.springframework.boot.ssl.SslBundle;

import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** Turns a Spring SSL bundle into what the outbound peer client needs: its key, and the peers' trust. */
public final class PeerTls {
    private PeerTls() {
    }

    public static PeerClient.Tls of(String name, SslBundle bundle) {
        X509TrustManager trust = null;
        for (TrustManager tm : bundle.getManagers().getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                trust = x;
            }
        }
        if (trust == null) {
            throw new IllegalArgumentException("raftkv.peer.ssl.bundle '" + name + "' has no trust store: peers need one to check each other");
        }
        return new PeerClient.Tls(bundle.createSslContext().getSocketFactory(), trust);
    }
}
