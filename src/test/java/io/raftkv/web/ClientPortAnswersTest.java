package io.raftkv.web;

import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client port's answers to bad input, through the real Tomcat of one in-process node: what
 * Tomcat refuses before Spring runs, what Spring refuses, and what the API refuses all come back
 * as problem+json 4xx with the browser-safety headers. The ten-thousand-request version against a
 * cluster is {@link HostileInputIT}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        // A short connection timeout, so the slow-client test needs no long wait; the default is 10s.
        properties = {"raftkv.limits.max-page-bytes=4KB", "server.tomcat.connection-timeout=1s", "logging.level.root=warn"})
class ClientPortAnswersTest {
    @TempDir
    static Path dataDir;

    @LocalServerPort
    int port;

    @Autowired
    WebServerApplicationContext web;

    /** The node's peer port: a Tomcat of its own, with the same error valve. */
    static int peerPort;

    @DynamicPropertySource
    static void node(DynamicPropertyRegistry r) {
        r.add("raftkv.data-dir", () -> dataDir.toString());
        peerPort = WebHttp.freePort();
        r.add("raftkv.peer-port", () -> peerPort);
    }


    private RawHttp.Answer send(String request) {
        return send(request, false);
    }

    private RawHttp.Answer send(String request, boolean halfClose) {
        return RawHttp.send(URI.create("http://127.0.0.1:" + port), request.getBytes(StandardCharsets.ISO_8859_1),
                halfClose, false, 10_000);
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    }

    private static RawHttp.Answer assertProblem(RawHttp.Answer a, int status, String slug) {
        assertThat(a.status()).as(a.bodyText()).isEqualTo(status);
        assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        assertThat(a.bodyText()).contains("\"type\":\"" + Problems.TYPE_BASE + slug + "\"").contains("\"status\":" + status)
                .containsPattern("\"detail\":\"[^\"]{10,}");
        assertSafeHeaders(a);
        return a;
    }

    private static void assertSafeHeaders(RawHttp.Answer a) {
        assertThat(a.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(a.header("Content-Security-Policy")).contains("sandbox").contains("default-src 'none'");
    }

    @Test
    void aQueryStringTomcatCannotDecodeIsA400OnEveryPath() {
        for (String path : List.of("/kv", "/kv/a", "/actuator/health", "/actuator/prometheus", "/nope")) {
            for (String query : List.of("prefix=%ff", "cursor=%%%", "x=%zz", "limit=%c3%28", "consistency=%")) {
                assertProblem(send(get(path + "?" + query)), 400, "bad-query");
            }
        }
    }

    @Test
    void methodsNoHandlerServesAre405Problems() {
        assertProblem(send("TRACE /kv/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 405, "method-not-allowed");
        assertProblem(send("CONNECT x:443 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 405, "method-not-allowed");
        String longKey = "k".repeat(3000);
        for (String method : List.of("PATCH", "POST", "FOO")) {
            RawHttp.Answer a = send(method + " /kv/" + longKey + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
            assertThat(a.status()).as(method).isEqualTo(405);
            assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        }
        RawHttp.Answer options = send("OPTIONS /kv/" + longKey + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(options.status()).isEqualTo(200);
        assertThat(options.header("Allow")).contains("GET").contains("PUT").contains("DELETE");
    }

    @Test
    void requestsTomcatRefusesAreProblemsToo() {
        assertProblem(send("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello", true), 400, "bad-http-request");
        assertProblem(send("GET /kv/a HTTP/2.0\r\nHost: x\r\n\r\n"), 400, "bad-http-request");
        assertProblem(send("GET /kv/\u00ff HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "bad-http-request");
        assertProblem(send("GET /kv/a HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n"), 400, "bad-http-request");
        assertProblem(send("PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), 400, "bad-http-request");
        // Spring Boot's /error page is gone: nothing answers in its shape, and /error is no resource.
        assertThat(send(get("/error")).status()).isEqualTo(404);
        assertThat(send(get("/error")).header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void aClientThatStallsLosesItsConnectionInsteadOfHoldingIt() {
        long started = System.nanoTime();
        RawHttp.Answer headersNeverEnd = send("GET /kv/a HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n");
        RawHttp.Answer bodyNeverCompletes = send("PUT /kv/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertThat(headersNeverEnd.failure()).as("closed by the server, not by our 10 s timeout").isNotNull()
                .doesNotStartWith("no answer within");
        assertProblem(bodyNeverCompletes, 400, "incomplete-body");
        assertThat(millis).isLessThan(8_000);
        assertProblem(send(get("/kv/slow")), 404, "not-found");
    }

    @Test
    void aBodyThatEndsEarlyIsA400AndStoresNothing() {
        assertProblem(send("PUT /kv/early HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this", true), 400, "incomplete-body");
        assertProblem(send("PUT /kv/early HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true), 400, "incomplete-body");
        assertProblem(send(get("/kv/early")), 404, "not-found");
    }

    @Test
    void anHtmlValueIsServedSandboxedAndUnsniffed() {
        String html = "<html><script>alert(document.domain)</script></html>";
        RawHttp.Answer put = send("PUT /kv/page HTTP/1.1\r\nHost: x\r\nContent-Type: text/html\r\nContent-Length: " + html.length()
                + "\r\nConnection: close\r\n\r\n" + html);
        assertThat(put.status()).as(put.bodyText()).isIn(200, 201);
        assertSafeHeaders(put);
        RawHttp.Answer value = send(get("/kv/page"));
        assertThat(value.status()).isEqualTo(200);
        assertThat(value.header("Content-Type")).startsWith("text/html");
        assertThat(value.bodyText()).isEqualTo(html);
        assertSafeHeaders(value);
        assertSafeHeaders(send(get("/kv/page?consistency=stale")));
        assertSafeHeaders(send(get("/cluster")));
        // HTTP/0.9 has no headers to carry the policy: Tomcat would send the bare value, the node sends a bare problem.
        assertThat(send("GET /kv/page\r\n\r\n").failure()).doesNotContain("<html>").startsWith("not an HTTP/1.x status line: {\"type\":");
    }

    @Test
    void aMultipartBodyIsAValueNotPartsToParse() {
        String body = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--b--\r\n";
        RawHttp.Answer put = send("PUT /kv/multi HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        assertThat(put.status()).as(put.bodyText()).isIn(200, 201);
        assertThat(send(get("/kv/multi")).bodyText()).isEqualTo(body);
    }

    @Test
    void aListingWithValuesIsBoundedByBytesAndStillVisitsEveryKeyOnce() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int size = i == 3 ? 9000 : 1000; // p/3 alone is larger than the 4KB bound
            String key = "p/" + i;
            String value = "v".repeat(size);
            RawHttp.Answer put = send("PUT /kv/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n" + value);
            assertThat(put.status()).as(put.bodyText()).isIn(200, 201);
            keys.add(key);
        }
        Pattern item = Pattern.compile("\"key\":\"([^\"]+)\"[^}]*\"value\":\"([^\"]*)\"");
        Pattern next = Pattern.compile("\"next\":\"([^\"]+)\"");
        List<String> seen = new ArrayList<>();
        List<Integer> perPage = new ArrayList<>();
        String cursor = null;
        do {
            RawHttp.Answer page = send(get("/kv?prefix=p/&values=true&limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)));
            assertThat(page.status()).as(page.bodyText()).isEqualTo(200);
            Matcher m = item.matcher(page.bodyText());
            int n = 0;
            while (m.find()) {
                seen.add(m.group(1));
                assertThat(Base64.getDecoder().decode(m.group(2))).hasSize(m.group(1).equals("p/3") ? 9000 : 1000);
                n++;
            }
            perPage.add(n);
            if (n > 1) {
                assertThat(page.body().length).as("a page of several items stays within the bound").isLessThanOrEqualTo(4096);
            }
            Matcher nm = next.matcher(page.bodyText());
            cursor = nm.find() ? nm.group(1) : null;
        } while (cursor != null);
        assertThat(seen).containsExactlyElementsOf(keys);
        assertThat(perPage).as("pages end early, and the large value comes alone").contains(1).allMatch(n -> n <= 3);
    }

    @Test
    void aTooLongHttp11RequestLineAfterAnHttp09RequestStillGetsAnHttp11Answer() {
        // Found by HostileInputIT on a fresh machine: Tomcat recycles its per-connection processor and
        // kept the previous connection's "HTTP/0.9" mark when the next request line was too long to
        // parse, so that 400 went out without a status line or headers, unreadable to an HTTP/1.1 client.
        // The client port recycles its processors (a new one per request costs more than the request),
        // so the long line lands on a processor an HTTP/0.9 request used before.
        AbstractHttp11Protocol<?> client = (AbstractHttp11Protocol<?>) ((TomcatWebServer) web.getWebServer())
                .getTomcat().getConnector().getProtocolHandler();
        assertThat(client).isInstanceOf(ClientHttpProtocol.class);
        assertThat(client.getProcessorCache()).isPositive();
        for (int i = 0; i < 20; i++) {
            send("GET /kv\r\n");
            RawHttp.Answer a = send("GET /kv?prefix=" + "A".repeat(9000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertProblem(a, 400, "bad-http-request");
        }
    }

    @Test
    void theSameOnThePeerPort() {
        URI peer = URI.create("http://127.0.0.1:" + peerPort);
        for (int i = 0; i < 20; i++) {
            RawHttp.send(peer, "GET /raft/info\r\n".getBytes(StandardCharsets.ISO_8859_1), false, false, 10_000);
            RawHttp.Answer a = RawHttp.send(peer, ("GET /raft/info?x=" + "A".repeat(20_000)
                    + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1),
                    false, false, 10_000);
            assertThat(a.status()).as("an answer with a status line: %s", a.bodyText()).isEqualTo(400);
            assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        }
    }
}
