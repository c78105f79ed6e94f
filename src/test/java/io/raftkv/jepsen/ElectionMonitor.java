package io.raftkv.jepsen;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches who leads while a run goes on, so that a 503 can be told apart: one during an election is
 * the API's contract, one while a leader was settled is not. Every {@code interval} it asks each node
 * for {@code GET /cluster} (role, leader, term) and marks the cluster unsettled around any answer that
 * shows an election: a node without a leader, a (pre-)candidate, a term that moved on, or a node that
 * still calls itself leader of an older term. Nodes that do not answer (killed, paused) say nothing.
 */
public final class ElectionMonitor implements AutoCloseable {
    private static final Pattern ROLE = Pattern.compile("\"role\":\"([a-z-]+)\"");
    private static final Pattern LEADER = Pattern.compile("\"leader\":(null|\"([^\"]*)\")");
    private static final Pattern TERM = Pattern.compile("\"term\":(\\d+)");

    /** One node's answer at {@code time} (run clock, ns). */
    public record Sample(long time, String node, String role, String leader, long term) {
    }

    private final Map<String, URI> nodes;
    private final History clock;
    private final Duration interval;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(300)).build();
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    public ElectionMonitor(Map<String, URI> nodes, History clock, Duration interval) {
        this.nodes = Map.copyOf(nodes);
        this.clock = clock;
        this.interval = interval;
        this.thread = new Thread(this::loop, "jepsen-election-monitor");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            List<CompletableFuture<Void>> polls = new ArrayList<>();
            for (Map.Entry<String, URI> n : nodes.entrySet()) {
                HttpRequest req = HttpRequest.newBuilder(n.getValue().resolve("/cluster"))
                        .timeout(interval.multipliedBy(2)).build();
                polls.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                        .thenAccept(r -> record(n.getKey(), r))
                        .exceptionally(e -> null));
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void record(String node, HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            return;
        }
        Matcher role = ROLE.matcher(r.body());
        Matcher leader = LEADER.matcher(r.body());
        Matcher term = TERM.matcher(r.body());
        if (role.find() && leader.find() && term.find()) {
            Sample s = new Sample(clock.now(), node, role.group(1), leader.group(2), Long.parseLong(term.group(1)));
            synchronized (samples) {
                samples.add(s);
            }
        }
    }

    /** The term a node reports in {@code GET /cluster}, or -1 if it does not answer. */
    public static long term(URI node) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(node.resolve("/cluster"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = TERM.matcher(r.body());
            return r.statusCode() == 200 && m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public List<Sample> samples() {
        synchronized (samples) {
            List<Sample> copy = new ArrayList<>(samples);
            copy.sort((a, b) -> Long.compare(a.time(), b.time()));
            return copy;
        }
    }

    /** Stretches of time in which some node showed an election going on, as windows of kind {@code election}. */
    public List<Nemesis.Window> elections() {
        return elections(samples(), interval.toNanos());
    }

    private record Span(long start, long end, String why) {
    }

    static List<Nemesis.Window> elections(List<Sample> samples, long intervalNanos) {
        Map<String, Long> lastTime = new HashMap<>();
        Map<String, Long> lastTerm = new HashMap<>();
        long maxTerm = 0;
        List<Span> spans = new ArrayList<>();
        for (Sample s : samples) {
            Long prevTime = lastTime.get(s.node());
            Long prevTerm = lastTerm.get(s.node());
            // A node that just came (back) up knows no leader until the first heartbeat: that is no election.
            boolean justUp = prevTime == null || s.time() - prevTime > 3 * intervalNanos;
            String reason = null;
            if (s.role().equals("candidate") || s.role().equals("pre-candidate")) {
                reason = s.node() + " " + s.role() + " in term " + s.term();
            } else if (s.leader() == null && !justUp) {
                reason = s.node() + " knows no leader in term " + s.term();
            } else if (prevTerm != null && s.term() > prevTerm) {
                reason = "term " + prevTerm + " -> " + s.term() + " at " + s.node();
            } else if (s.role().equals("leader") && s.term() < maxTerm) {
                reason = s.node() + " still leads term " + s.term() + " (term " + maxTerm + " exists)";
            }
            if (reason != null) {
                long from = prevTime == null || justUp ? s.time() - intervalNanos : prevTime;
                spans.add(new Span(from, s.time() + intervalNanos, reason));
            }
            lastTime.put(s.node(), s.time());
            lastTerm.put(s.node(), s.term());
            maxTerm = Math.max(maxTerm, s.term());
        }
        spans.sort((a, b) -> Long.compare(a.start(), b.start()));
        List<Nemesis.Window> merged = new ArrayList<>();
        Span cur = null;
        for (Span sp : spans) {
            if (cur != null && sp.start() <= cur.end()) {
                cur = new Span(cur.start(), Math.max(cur.end(), sp.end()), cur.why());
                continue;
            }
            if (cur != null) {
                merged.add(new Nemesis.Window("election: " + cur.why(), "election", cur.start(), cur.end()));
            }
            cur = sp;
        }
        if (cur != null) {
            merged.add(new Nemesis.Window("election: " + cur.why(), "election", cur.start(), cur.end()));
        }
        return merged;
    }

    /** How many new terms began during the run: each is an election (won or not). */
    public long termsStarted() {
        List<Sample> s = samples();
        if (s.isEmpty()) {
            return 0;
        }
        long min = s.stream().mapToLong(Sample::term).min().orElse(0);
        long max = s.stream().mapToLong(Sample::term).max().orElse(0);
        return max - min;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
