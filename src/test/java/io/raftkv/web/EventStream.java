package io.raftkv.web;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A client of one watch stream for tests: reads Server-Sent Events (or NDJSON lines) on a thread of
 * its own and hands them out one at a time, each waited for with a deadline.
 */
final class EventStream implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Object END = new Object();

    /** One event: {@code name} and {@code id} as SSE sent them (null when absent), {@code data} parsed. */
    record Event(String name, String id, JsonNode data) {
    }

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final HttpResponse<Stream<String>> response;
    private final Thread reader;

    private EventStream(HttpResponse<Stream<String>> response, boolean sse) {
        this.response = response;
        Iterator<String> lines = response.body().iterator();
        this.reader = new Thread(() -> {
            try {
                String name = null;
                String id = null;
                while (lines.hasNext()) {
                    String line = lines.next();
                    if (!sse) {
                        if (!line.isEmpty()) {
                            events.add(new Event(null, null, JSON.readTree(line)));
                        }
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6);
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3);
                    } else if (line.startsWith("data:")) {
                        events.add(new Event(name, id, JSON.readTree(line.substring(5))));
                        name = null;
                        id = null;
                    }
                }
            } catch (RuntimeException e) {
                // the stream was closed under the reader
            } finally {
                events.add(END);
            }
        }, "test-event-stream");
        reader.setDaemon(true);
        reader.start();
    }

    static EventStream open(int port, String pathAndQuery, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery)).GET();
        boolean sse = true;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            if (headers[i].equalsIgnoreCase("Accept") && headers[i + 1].contains("ndjson")) {
                sse = false;
            }
        }
        try {
            HttpResponse<Stream<String>> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofLines());
            return new EventStream(r, sse);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<Stream<String>> response() {
        return response;
    }

    /** The next event, waiting up to {@code wait}; fails if none comes or the stream ends. */
    Event next(Duration wait) {
        try {
            Object e = events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (e == null) {
                throw new AssertionError("no event within " + wait);
            }
            if (e == END) {
                events.add(END);
                throw new AssertionError("the stream ended");
            }
            return (Event) e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Event next() {
        return next(Duration.ofSeconds(10));
    }

    /** The next event that is not a bookmark. */
    Event nextChange() {
        while (true) {
            Event e = next();
            if (!"bookmark".equals(e.data().path("type").asString())) {
                return e;
            }
        }
    }

    /** Waits up to {@code wait} for the server to end the stream. */
    boolean ended(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            Object e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (e == END) {
                events.add(END);
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        response.body().close();
        reader.interrupt();
    }
}
