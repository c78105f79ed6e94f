package io.raftkv.node;

import io.raftkv.cluster.Redirects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain HTTP client for the node tests: follows redirects like curl -L (hop by hop, see
 * {@link Redirects}), with a deadline on every call.
 */
final class KvHttp {
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(1)).build();

    HttpResponse<String> send(HttpRequest.Builder req, boolean follow) {
        try {
            HttpRequest request = req.timeout(Duration.ofSeconds(10)).build();
            return follow ? Redirects.send(client, request, HttpResponse.BodyHandlers.ofString())
                    : client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> put(URI node, String key, String value, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(node, key)).PUT(HttpRequest.BodyPublishers.ofString(value))
                .header("Content-Type", "text/plain");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b, true);
    }

    HttpResponse<String> get(URI node, String key, String... query) {
        return send(HttpRequest.newBuilder(uri(node, key, query)).GET(), true);
    }

    HttpResponse<String> delete(URI node, String key, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(node, key)).DELETE();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b, true);
    }

    static URI uri(URI node, String key, String... query) {
        StringBuilder path = new StringBuilder("/kv/");
        for (String segment : key.split("/", -1)) {
            path.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20")).append('/');
        }
        path.setLength(path.length() - 1);
        StringBuilder q = new StringBuilder();
        for (String s : query) {
            q.append(q.isEmpty() ? "?" : "&").append(s);
        }
        return node.resolve(path + q.toString());
    }
}
