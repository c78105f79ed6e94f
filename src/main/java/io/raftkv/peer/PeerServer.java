package io.raftkv.peer;

import io.raftkv.node.NodeLifecycle;
import io.raftkv.web.ProblemErrorReportValve;
import jakarta.servlet.ServletRegistration;
import org.apache.catalina.core.StandardHost;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.tomcat.websocket.server.WsSci;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServer;
import org.springframework.context.SmartLifecycle;

/**
 * The peer port: an embedded Tomcat of its own that serves only {@link PeerServlet}. It starts after
 * the node and stops before it, and after the client server: while the client server drains its
 * requests on shutdown, their writes still need peers to commit.
 */
final class PeerServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(PeerServer.class);
    /** Just above the node: starts after it, stops before it. */
    static final int PHASE = NodeLifecycle.PHASE + 1;

    private final int port;
    private final PeerServlet servlet;
    private final String sslBundle;
    private final SslBundles sslBundles;
    private final int maxThreads;
    private final int maxConnections;
    private volatile WebServer server;

    /** @param sslBundle the bundle for HTTPS with required client certificates, or empty for plain HTTP */
    PeerServer(int port, PeerServlet servlet, String sslBundle, SslBundles sslBundles, int maxThreads, int maxConnections) {
        this.port = port;
        this.servlet = servlet;
        this.sslBundle = sslBundle;
        this.sslBundles = sslBundles;
        this.maxThreads = maxThreads;
        this.maxConnections = maxConnections;
    }

    @Override
    public void start() {
        TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory(port);
        if (!sslBundle.isEmpty()) {
            Ssl ssl = Ssl.forBundle(sslBundle);
            ssl.setClientAuth(Ssl.ClientAuth.NEED);
            factory.setSsl(ssl);
            factory.setSslBundles(sslBundles); // also registers the reload of the bundle's files
        }
        factory.addConnectorCustomizers(c -> {
            if (c.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                // Peers keep a few connections busy all the time: never close one after a request count.
                http.setMaxKeepAliveRequests(-1);
                http.setMaxThreads(maxThreads);
                http.setMinSpareThreads(Math.min(4, maxThreads));
                http.setMaxConnections(maxConnections);
                http.setAcceptCount(16);
                http.setConnectionTimeout(10_000);
                // Longer than the peer client keeps an idle connection (PeerClient), so the client always
                // closes first and never sends a request into a connection the server is closing.
                http.setKeepAliveTimeout(120_000);
                http.setMaxHttpHeaderSize(16 * 1024);
                // No recycled processors: one kept a connection's HTTP/0.9 mark into the next, whose
                // too-long request line was then answered without a status line (as on the client port).
                http.setProcessorCache(0);
                http.setMaxSwallowSize(1 << 20);
            }
        });
        factory.addContextCustomizers(context -> {
            // WebSocket support for the peer streams (PeerServlet upgrades admitted requests itself).
            context.addServletContainerInitializer(new WsSci(), null);
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
            }
        });
        WebServer s = factory.getWebServer(ctx -> {
            ServletRegistration.Dynamic reg = ctx.addServlet("raftkv-peer", servlet);
            reg.setLoadOnStartup(1);
            reg.addMapping("/");
        });
        s.start();
        server = s;
        log.info("peer server listening on port {} ({})", s.getPort(),
                sslBundle.isEmpty() ? "plain HTTP" : "HTTPS, client certificates required, SSL bundle '" + sslBundle + "'");
    }

    @Override
    public void stop() {
        WebServer s = server;
        server = null;
        if (s != null) {
            s.stop();
            s.destroy();
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The port actually bound (differs from the configured one only when that is 0). */
    int port() {
        WebServer s = server;
        return s == null ? -1 : s.getPort();
    }
}
