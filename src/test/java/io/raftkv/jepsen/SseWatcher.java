package io.raftkv.jepsen;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A watcher of one prefix as a careful EventSource client runs it: it starts with
 * {@code initial=true}, remembers the last {@code id:} it saw and reconnects with
 * {@code Last-Event-ID} when its node dies, stops answering (no bookmark for two seconds: paused),
 * or when it cuts the stream itself at random moments; it moves to another node when its node
 * refuses. Events without an {@code id:} count only once the {@code id:} that ends their revision
 * arrives (a cut in the middle of a revision gets all of it again). A {@code 410 Gone} (on connect,
 * or as a {@code gone} event mid-stream) is recorded and answered by starting over with {@code initial=true}.
 */
final class SseWatcher implements Runnable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int READ_TIMEOUT_MILLIS = 2000;

    /** A key's state as a watch reports it; {@code value} null for a delete. */
    record Event(long revision, String type, String key, String value, long modRevision) {
    }

    /**
     * One connection's worth of events. {@code initial} is the state an {@code initial=true} start
     * sent (null for a resume); {@code requested} the {@code Last-Event-ID} sent (-1: none), {@code from}
     * the revision the stream said it starts after (its first bookmark).
     */
    record Segment(String node, long requested, long from, Map<String, Event> initial, List<Event> events) {
    }

    /** A {@code 410}: the watcher asked to resume after {@code requested}; the node named {@code oldest} (-1: it did not). */
    record Gone(String node, long requested, long oldest, String body) {
    }

    private final String name;
    private final List<String> nodes;
    private final Map<String, URI> urls;
    private final String prefix;
    private final History clock;
    private final Random random;
    private final List<Segment> segments = new ArrayList<>();
    private final List<Gone> gones = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private volatile long stopAt = Long.MAX_VALUE;
    private volatile long lastId = -1;
    private volatile boolean abandoned;
    private int node;

    SseWatcher(String name, Map<String, URI> urls, int firstNode, String prefix, History clock, long seed) {
        this.name = name;
        this.urls = Map.copyOf(urls);
        this.nodes = List.copyOf(urls.keySet());
        this.node = firstNode % nodes.size();
        this.prefix = prefix;
        this.clock = clock;
        this.random = new Random(seed);
    }

    String name() {
        return name;
    }

    /** Stop once every revision up to {@code revision} has been seen. */
    void stopAt(long revision) {
        stopAt = revision;
    }

    /** Give up (the check's deadline passed). */
    void abandon() {
        abandoned = true;
    }

    long lastId() {
        return lastId;
    }

    synchronized List<Segment> segments() {
        return List.copyOf(segments);
    }

    synchronized List<Gone> gones() {
        return List.copyOf(gones);
    }

    synchronized List<String> notes() {
        return List.copyOf(notes);
    }

    @Override
    public void run() {
        while (!abandoned && lastId < stopAt) {
            String n = nodes.get(node);
            try {
                connect(n);
                if (random.nextBoolean()) {
                    node = random.nextInt(nodes.size()); // resume on another node now and then
                }
            } catch (IOException e) {
                note(n + ": " + e);
                node = (node + 1) % nodes.size();
                CoordHttp.sleep(100);
            }
        }
    }

    private void connect(String n) throws IOException {
        String query = "/watch?prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8) + (lastId < 0 ? "&initial=true" : "");
        HttpURLConnection c = (HttpURLConnection) urls.get(n).resolve(query).toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(READ_TIMEOUT_MILLIS);
        c.setRequestProperty("Accept", "text/event-stream");
        if (lastId >= 0) {
            c.setRequestProperty("Last-Event-ID", Long.toString(lastId));
        }
        long requested = lastId;
        try {
            int status = c.getResponseCode();
            if (status == 410) {
                gone(n, requested, readAll(c.getErrorStream()));
                return;
            }
            if (status != 200) {
                note(n + ": HTTP " + status + " " + readAll(c.getErrorStream()));
                node = (node + 1) % nodes.size();
                CoordHttp.sleep(200);
                return;
            }
            long cutAt = clock.now() + (1500 + random.nextInt(2500)) * 1_000_000L;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                read(n, requested, in, cutAt);
            }
        } finally {
            c.disconnect();
        }
    }

    /** Reads the stream until it ends, the watcher cuts it, or the watcher has seen enough. */
    private void read(String n, long requested, BufferedReader in, long cutAt) throws IOException {
        Map<String, Event> initial = requested < 0 ? new LinkedHashMap<>() : null;
        Segment segment = null;
        List<Event> pending = new ArrayList<>();
        String event = null;
        String id = null;
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("event:")) {
                event = line.substring(6).trim();
            } else if (line.startsWith("id:")) {
                id = line.substring(3).trim();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5));
            } else if (line.isEmpty() && event != null) {
                JsonNode d = JSON.readTree(data.toString());
                switch (event) {
                    case "put", "delete" -> {
                        Event e = new Event(d.path("revision").asLong(), event, d.path("key").asString(),
                                event.equals("put") ? d.path("value").asString() : null, d.path("modRevision").asLong());
                        if (d.path("initial").asBoolean(false)) {
                            initial.put(e.key(), e);
                        } else {
                            pending.add(e);
                        }
                    }
                    case "gone" -> {
                        gone(n, d.path("resumeRevision").asLong(-1), data.toString());
                        return;
                    }
                    default -> { }
                }
                if (id != null) {
                    long rev = Long.parseLong(id);
                    if (segment == null) {
                        // The first id (a bookmark) says where this stream starts.
                        segment = new Segment(n, requested, rev, initial, new ArrayList<>());
                        synchronized (this) {
                            segments.add(segment);
                        }
                    }
                    synchronized (this) {
                        segment.events().addAll(pending);
                    }
                    pending.clear();
                    lastId = rev;
                }
                event = null;
                id = null;
                data.setLength(0);
                if (lastId >= stopAt || abandoned || (segment != null && clock.now() > cutAt)) {
                    return;
                }
            }
        }
        note(n + ": the stream ended");
    }

    private void gone(String n, long requested, String body) {
        long oldest = -1;
        try {
            oldest = JSON.readTree(body).path("oldestRevision").asLong(-1);
        } catch (RuntimeException e) {
            // recorded as naming no oldest revision
        }
        synchronized (this) {
            gones.add(new Gone(n, requested, oldest, body));
        }
        lastId = -1;
    }

    private synchronized void note(String what) {
        notes.add(String.format("%.3f s %s", clock.now() / 1e9, what));
    }

    private static String readAll(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
