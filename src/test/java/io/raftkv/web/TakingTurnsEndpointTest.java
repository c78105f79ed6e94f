package io.raftkv.web;

import io.raftkv.cluster.TestPki;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client port's connections take turns: once a worker has answered a kept-alive connection, a
 * request already waiting on another connection is served before that connection's next one.
 *
 * <p>Stock Tomcat serves the answered connection's next request at once when it is already in the
 * socket, so under saturating load a few connections went round and round while the rest waited
 * (README, "Tails at the same offered load"). Here one worker, a request held in the servlet while the
 * next request of its connection and one of another connection arrive, make the order certain.
 */
class TakingTurnsEndpointTest {
    /** Held so the level stays: the embedded Tomcat's start and stop lines would fill the build log. */
    private static final Logger TOMCAT_LOG = Logger.getLogger("org.apache");

    static {
        TOMCAT_LOG.setLevel(Level.SEVERE);
    }

    @TempDir
    Path dir;

    private Tomcat tomcat;
    private final List<String> served = new CopyOnWriteArrayList<>();
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (tomcat != null) {
            tomcat.stop();
            tomcat.destroy();
        }
    }

    @Test
    void aWaitingConnectionIsServedBeforeTheNextRequestOfTheOneJustAnswered() throws Exception {
        int port = start(null);
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
            takeTurns(a, b);
        }
    }

    @Test
    void theSameOverTls() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        pki.issue("server", "localhost", "ip:127.0.0.1");
        int port = start(pki);
        var tls = pki.sslContext(null).getSocketFactory();
        try (SSLSocket a = (SSLSocket) tls.createSocket("127.0.0.1", port);
             SSLSocket b = (SSLSocket) tls.createSocket("127.0.0.1", port)) {
            takeTurns(a, b);
        }
    }

    @Test
    void pipelinedRequestsAndABodyAfter100ContinueAreStillAnswered() throws Exception {
        int port = start(null);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            // Three requests in one write: Tomcat holds the second and third in its own buffer, not the socket.
            s.getOutputStream().write((get("p1") + get("p2") + get("p3")).getBytes(StandardCharsets.ISO_8859_1));
            assertThat(List.of(answer(s), answer(s), answer(s))).containsExactly("p1", "p2", "p3");

            // The 100 Continue is an answer written: the body read after it must still find the body.
            OutputStream out = s.getOutputStream();
            byte[] body = "x".repeat(50_000).getBytes(StandardCharsets.ISO_8859_1);
            out.write(("PUT /put HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertThat(headers(s.getInputStream())).startsWith("HTTP/1.1 100");
            out.write(body);
            assertThat(answer(s)).isEqualTo("put " + body.length);
            send(s, "p4");
            assertThat(answer(s)).isEqualTo("p4");
        }
    }

    /** One worker holds a1; a2 then b1 arrive; b1 must be served before a2. */
    private void takeTurns(Socket a, Socket b) throws Exception {
        a.setSoTimeout(10_000);
        b.setSoTimeout(10_000);
        // A first round on each, so both connections are open (and past any TLS handshake) and idle.
        send(a, "a0");
        assertThat(answer(a)).isEqualTo("a0");
        send(b, "b0");
        assertThat(answer(b)).isEqualTo("b0");

        send(a, "a1");
        assertThat(holding.await(10, TimeUnit.SECONDS)).as("the worker holds a1").isTrue();
        send(a, "a2"); // into the socket: a's connection is with its worker, not the poller
        send(b, "b1"); // the poller sees it and queues it for the busy worker
        ThreadPoolExecutor workers = (ThreadPoolExecutor) tomcat.getConnector().getProtocolHandler().getExecutor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (workers.getQueue().isEmpty()) {
            assertThat(System.nanoTime()).as("b1 queued for the worker").isLessThan(deadline);
            Thread.onSpinWait();
        }
        release.countDown();

        assertThat(answer(a)).isEqualTo("a1");
        assertThat(answer(b)).isEqualTo("b1");
        assertThat(answer(a)).isEqualTo("a2");
        assertThat(served).containsExactly("a0", "b0", "a1", "b1", "a2");
    }

    private int start(TestPki pki) throws Exception {
        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        ClientHttpProtocol protocol = new ClientHttpProtocol();
        protocol.setMaxThreads(1);
        protocol.setMinSpareThreads(1);
        Connector connector = new Connector(protocol);
        connector.setPort(0);
        if (pki != null) {
            SSLHostConfig ssl = new SSLHostConfig();
            SSLHostConfigCertificate cert = new SSLHostConfigCertificate(ssl, SSLHostConfigCertificate.Type.UNDEFINED);
            cert.setCertificateFile(pki.certificate("server").toString());
            cert.setCertificateKeyFile(pki.privateKey("server").toString());
            ssl.addCertificate(cert);
            connector.addSslHostConfig(ssl);
            connector.setProperty("SSLEnabled", "true");
            connector.setSecure(true);
            connector.setScheme("https");
        }
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "echo", new Echo());
        context.addServletMappingDecoded("/*", "echo");
        tomcat.start();
        return connector.getLocalPort();
    }

    private final class Echo extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String id = req.getParameter("id");
            served.add(id);
            if ("a1".equals(id)) {
                holding.countDown();
                try {
                    if (!release.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("a1 was never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            write(resp, id);
        }

        @Override
        protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            write(resp, "put " + req.getInputStream().readAllBytes().length);
        }

        private static void write(HttpServletResponse resp, String text) throws IOException {
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            resp.setContentType("text/plain");
            resp.setContentLength(bytes.length);
            resp.getOutputStream().write(bytes);
        }
    }

    private static String get(String id) {
        return "GET /?id=" + id + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private static void send(Socket s, String id) throws IOException {
        s.getOutputStream().write(get(id).getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** The body of the next 200 answer on the connection. */
    private static String answer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        String head = headers(in);
        assertThat(head).startsWith("HTTP/1.1 200");
        int length = head.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .mapToInt(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).trim())).findFirst().orElseThrow();
        return new String(in.readNBytes(length), StandardCharsets.US_ASCII);
    }

    private static String headers(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.write(c);
            matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
