package io.raftkv.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /cluster/members} from the tests of real clusters: changes with their retries, and waits with deadlines. */
final class MembersApi {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private MembersApi() {
    }

    /** One request; a 307 (a follower, or a leader that handed over) is followed, as {@code curl -L} does. */
    static HttpResponse<String> send(URI node, String method, String path) {
        try {
            URI target = node.resolve(path);
            for (int hop = 0; hop < 5; hop++) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(target).method(method, HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 307) {
                    return r;
                }
                target = URI.create(r.headers().firstValue("Location").orElseThrow());
            }
            throw new AssertionError("more than five redirects for " + method + " " + path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A change, retried while another is open or the learner catches up (409), up to a deadline. */
    static HttpResponse<String> change(URI node, String method, String path) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> r = send(node, method, path);
        while (r.statusCode() == 409 && r.body().contains("\"retryable\":true") || r.statusCode() == 503) {
            assertThat(System.nanoTime()).as(method + " " + path + ": " + r.body()).isLessThan(deadline);
            sleep(100);
            r = send(node, method, path);
        }
        return r;
    }

    /** Waits until the cluster lists a member of {@code name} in {@code role}; returns its member id. */
    static String await(URI node, String name, String role) {
        Pattern member = Pattern.compile("\"id\":\"(" + Pattern.quote(name) + "(~[0-9a-f]+)?)\",\"name\":\"[^\"]*\",\"role\":\"" + role + "\"");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Matcher m = member.matcher(send(node, "GET", "/cluster/members").body());
            if (m.find()) {
                return m.group(1);
            }
            assertThat(System.nanoTime()).as(name + " becomes a " + role).isLessThan(deadline);
            sleep(100);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
