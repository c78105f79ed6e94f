package io.raftkv.cluster;

import io.raftkv.raft.Quorum;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The HTTP a test harness needs to tell a cluster's state: who leads, and who is ready. */
public final class ClusterHttp {
    private static final Pattern ROLE = Pattern.compile("^\\{\"id\":\"([^\"]+)\",\"role\":\"([^\"]+)\",\"leader\":(null|\"([^\"]+)\")");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private ClusterHttp() {
    }

    /** This node's view from {@code GET /cluster}: {id, role, leader or null}; empty if it does not answer. */
    public static Optional<String[]> view(URI node) {
        return view(HTTP, node);
    }

    public static Optional<String[]> view(HttpClient http, URI node) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/cluster")).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Matcher m = ROLE.matcher(r.body());
            if (r.statusCode() != 200 || !m.find()) {
                return Optional.empty();
            }
            return Optional.of(new String[] {m.group(1), m.group(2), m.group(4)});
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    public static boolean ready(URI node) {
        return ready(HTTP, node);
    }

    public static boolean ready(HttpClient http, URI node) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(node.resolve("/actuator/health/readiness"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The leader as the answering nodes see it: a node that says it is leader, followed by every other
     * answering node, and by a majority of the whole cluster.
     */
    public static Optional<String> leader(List<URI> nodes, int clusterSize) {
        return leader(HTTP, nodes, clusterSize);
    }

    public static Optional<String> leader(HttpClient http, List<URI> nodes, int clusterSize) {
        List<String[]> views = new ArrayList<>();
        for (URI u : nodes) {
            view(http, u).ifPresent(views::add);
        }
        for (String[] v : views) {
            if (v[1].equals("leader")) {
                String id = v[0];
                long agree = views.stream().filter(o -> id.equals(o[2])).count();
                if (agree == views.size() && agree >= Quorum.majority(clusterSize)) {
                    return Optional.of(id);
                }
            }
        }
        return Optional.empty();
    }
}
