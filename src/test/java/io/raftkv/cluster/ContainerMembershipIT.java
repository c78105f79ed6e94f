package io.raftkv.cluster;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The StatefulSet-shaped cluster changes size through {@code PUT /cluster/size} (3 → 5 → 3, pods
 * added with the StatefulSet's member list, which does not name them), and a pod whose volume was
 * deleted comes back as itself, all under a writer: no acknowledged write is lost.
 */
@RequiresDocker
class ContainerMembershipIT {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofMillis(500)).build();

    @Test
    void scalesThreeToFiveToThreeAndReplacesAPodWhoseVolumeWasDeleted() throws Exception {
        try (ContainerCluster c = ContainerCluster.start(new ContainerCluster.Options().size(3)
                .env("RAFTKV_AUTOPILOT_INTERVAL", "500ms").env("RAFTKV_AUTOPILOT_STABLE_FOR", "1s"))) {
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                for (int i = 0; running.get(); i++) {
                    List<String> up = c.nodes().stream().filter(c::isRunning).toList();
                    try {
                        HttpResponse<String> r = Redirects.send(HTTP, HttpRequest.newBuilder(c.clientUrl(up.get(i % up.size()))
                                        .resolve("/kv/scale/" + i)).timeout(Duration.ofSeconds(10))
                                .PUT(HttpRequest.BodyPublishers.ofString("v" + i)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 201) {
                            acknowledged.put("scale/" + i, "v" + i);
                        }
                    } catch (IOException | RuntimeException e) {
                        // a pod went away under us: the outcome is unknown and it is not counted
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "writer");
            writer.start();
            URI first = c.clientUrl("raftkv-0");
            try {
                assertThat(send(first, "PUT", "/cluster/size", "{\"size\":5}").statusCode()).isEqualTo(200);
                c.addNode();
                c.addNode();
                awaitMembers(first, m -> voters(m) == 5 && m.contains("\"name\":\"raftkv-4\",\"role\":\"voter\""), "five voters");

                assertThat(send(first, "PUT", "/cluster/size", "{\"size\":3}").statusCode()).isEqualTo(200);
                awaitMembers(first, m -> voters(m) == 3 && !m.contains("\"name\":\"raftkv-3\"") && !m.contains("\"name\":\"raftkv-4\""),
                        "the highest ordinals removed");
                c.removeNode("raftkv-4");
                c.removeNode("raftkv-3");

                c.loseDisk("raftkv-1");
                c.start("raftkv-1");
                awaitMembers(first, m -> voters(m) == 3 && m.matches("(?s).*\"id\":\"raftkv-1~[0-9a-f]+\",\"name\":\"raftkv-1\",\"role\":\"voter\".*")
                        && !m.contains("\"id\":\"raftkv-1\","), "raftkv-1 replaced by its new self");
                assertThat(send(first, "GET", "/cluster/members", null).body()).contains("\"failureTolerance\":1");
            } finally {
                running.set(false);
                writer.join(30_000);
            }
            assertThat(acknowledged).hasSizeGreaterThan(20);
            URI replaced = c.clientUrl("raftkv-1");
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                HttpResponse<String> r = send(replaced, "GET", "/kv/" + e.getKey(), null);
                assertThat(r.statusCode()).as("acknowledged %s", e.getKey()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(e.getValue());
            }
        }
    }

    private static int voters(String members) {
        return members.split("\"role\":\"voter\"", -1).length - 1;
    }

    private static void awaitMembers(URI node, Predicate<String> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String members = "";
        while (!done.test(members)) {
            assertThat(System.nanoTime()).as(what + ": " + members).isLessThan(deadline);
            Thread.sleep(250);
            try {
                members = send(node, "GET", "/cluster/members", null).body();
            } catch (UncheckedIOException e) {
                members = "";
            }
        }
    }

    private static HttpResponse<String> send(URI node, String method, String path, String json) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve(path)).timeout(Duration.ofSeconds(10));
            b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                    : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
            return Redirects.send(HTTP, b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
