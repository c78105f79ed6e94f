package io.raftkv.node;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.security.KeyStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerClientTest {

    /**
     * OkHttp makes a TLS context for any client whose connection specs include TLS, and with none given
     * that means loading and parsing the JDK's whole trust store: CPU a starting node spends on three
     * JVMs' two cores for peers it never reaches over TLS.
     */
    @Test
    void aClientWithoutPeerTlsNeverMakesATlsContext() {
        PeerClient client = new PeerClient(null);

        assertThatThrownBy(() -> client.http().sslSocketFactory()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> client.streams().sslSocketFactory()).isInstanceOf(IllegalStateException.class);
        assertThat(client.withScheme("https://n2:7081")).isEqualTo("http://n2:7081");
    }

    @Test
    void turningPeerTlsOnGivesBothClientsTheCertificatesGiven() throws Exception {
        PeerClient client = new PeerClient(null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        X509TrustManager trust = (X509TrustManager) tmf.getTrustManagers()[0];
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[]{trust}, null);

        SSLSocketFactory sockets = ctx.getSocketFactory();

        client.useTls(new PeerClient.Tls(sockets, trust));

        assertThat(client.http().sslSocketFactory()).isSameAs(sockets);
        assertThat(client.streams().sslSocketFactory()).isSameAs(sockets);
        assertThat(client.http().x509TrustManager()).isSameAs(trust);
    }
}
