package io.raftkv.web;

import io.raftkv.config.CoordinationProperties;
import io.raftkv.config.RaftKvProperties;
import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvEvent;
import io.raftkv.node.RaftKvNode;
import io.raftkv.security.Caller;
import io.raftkv.security.Callers;
import io.raftkv.security.LiveReadScope;
import io.raftkv.watch.InitialState;
import io.raftkv.watch.WatchHub;
import io.raftkv.watch.WatchStream;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code GET /watch}: every applied change of a key or a prefix, as Server-Sent Events or NDJSON,
 * from any node. See {@link io.raftkv.watch} for how the history and the watchers work.
 */
@RestController
final class WatchController {
    static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");

    private final WatchHub hub;
    private final ReadPoint readPoint;
    private final CoordinationProperties.Watch settings;

    WatchController(WatchHub hub, RaftKvNode node, RaftKvProperties props, CoordinationProperties coordination) {
        this.hub = hub;
        this.readPoint = new ReadPoint(node, props.requests().timeout());
        this.settings = coordination.watch();
    }

    @GetMapping("/watch")
    ResponseEntity<ResponseBodyEmitter> watch(@RequestParam(value = "prefix", required = false) String prefix,
                                              @RequestParam(value = "key", required = false) String key,
                                              @RequestParam(value = "from", required = false) String from,
                                              @RequestParam(value = "initial", defaultValue = "false") String initial,
                                              @RequestParam(value = "consistency", required = false) String consistency,
                                              @RequestHeader(value = "Last-Event-ID", required = false) String lastEventId,
                                              @RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
        boolean sse = wantsSse(accept);
        if ((prefix == null) == (key == null)) {
            throw BadRequestException.badRequest("bad-watch", "give exactly one of 'prefix' (every key that starts with it; '' for all) or 'key'");
        }
        boolean withInitial = switch (initial) {
            case "true" -> true;
            case "false" -> false;
            default -> throw BadRequestException.badRequest("bad-parameter", "initial must be true or false (got '" + initial + "')");
        };
        Long resumeFrom = revision(from != null ? from : lastEventId, from != null ? "from" : "Last-Event-ID");
        if (withInitial && resumeFrom != null) {
            throw BadRequestException.badRequest("bad-watch", "initial=true starts from the current state; it cannot be combined with from or Last-Event-ID");
        }
        Caller caller = Callers.current();
        if (key != null) {
            Callers.requireRead(key);
        }
        // A prefix watch, like a listing, shows only the keys the caller may read.
        Predicate<String> watched = key != null ? key::equals : k -> k.startsWith(prefix) && caller.canRead(k);
        // Checked again whenever the roles or tokens change: the stream ends once the caller lost any of it.
        LiveReadScope scope = key != null ? LiveReadScope.ofKey(caller, key, hub.data()::auth)
                : LiveReadScope.ofPrefix(caller, prefix, hub.data()::auth);
        readPoint.reach(consistency);

        long start;
        List<KeyValue> initialKeys = List.of();
        if (withInitial) {
            try {
                InitialState.At at = InitialState.read(hub, key != null ? key : prefix, watched, settings.maxInitialKeys());
                start = at.revision();
                initialKeys = at.keys();
            } catch (InitialState.TooManyKeysException e) {
                throw new BadRequestException(HttpStatus.CONTENT_TOO_LARGE, "too-many-initial-keys", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BadRequestException(HttpStatus.SERVICE_UNAVAILABLE, "shutting-down", "this node is stopping; use another node");
            } catch (io.raftkv.watch.HistoryGoneException e) {
                throw new BadRequestException(HttpStatus.SERVICE_UNAVAILABLE, "watch-history-too-short",
                        "the watch history moved on faster than the current state could be read; retry, or raise raftkv.watch.history.*");
            }
        } else if (resumeFrom != null) {
            start = resumeFrom;
            if (start < hub.oldestRevision()) {
                throw new WatchGoneException(start, hub.oldestRevision());
            }
        } else {
            start = hub.data().appliedIndex();
        }

        ResponseBodyEmitter emitter = sse ? new SseEmitter(0L) : new ResponseBodyEmitter(0L);
        Sink sink = sse ? new SseSink((SseEmitter) emitter) : new NdjsonSink(emitter);
        List<KeyValue> first = initialKeys;
        long startAt = start;
        boolean started = hub.start(() -> {
            try {
                for (KeyValue kv : first) {
                    sink.initial(kv);
                }
                // Says where the stream starts, and sends the response headers now rather than with the first change.
                sink.bookmark(startAt);
            } catch (IOException e) {
                sink.end();
                return;
            }
            new WatchStream(hub, watched, scope::revoked, startAt, settings.bookmarkInterval(), sink).run();
        });
        if (!started) {
            throw new BadRequestException(HttpStatus.TOO_MANY_REQUESTS, "too-many-watchers", "this node already serves "
                    + settings.maxWatchers() + " watches and long polls (raftkv.watch.max-watchers); use another node or retry later");
        }
        return ResponseEntity.ok().contentType(sse ? MediaType.TEXT_EVENT_STREAM : NDJSON)
                .header(HttpHeaders.CACHE_CONTROL, "no-store")
                .header("X-Raftkv-Revision", Long.toString(start)).body(emitter);
    }

    /** SSE unless the client asks only for NDJSON; a client that accepts neither gets 406. */
    private static boolean wantsSse(String accept) {
        if (accept == null || accept.isBlank()) {
            return true;
        }
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(accept);
        } catch (RuntimeException e) {
            throw BadRequestException.badRequest("bad-accept", "Accept '" + accept + "' is not a list of media types");
        }
        boolean sse = types.stream().anyMatch(t -> t.includes(MediaType.TEXT_EVENT_STREAM));
        boolean ndjson = types.stream().anyMatch(t -> t.isCompatibleWith(NDJSON) && !t.isWildcardType());
        if (!sse && !ndjson) {
            throw new BadRequestException(HttpStatus.NOT_ACCEPTABLE, "not-acceptable",
                    "a watch is sent as text/event-stream or application/x-ndjson; Accept allows neither");
        }
        return sse && !(ndjson && types.stream().noneMatch(t -> t.equals(MediaType.TEXT_EVENT_STREAM)));
    }

    private static Long revision(String text, String what) {
        if (text == null) {
            return null;
        }
        try {
            long r = Long.parseLong(text.trim());
            if (r >= 0) {
                return r;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw BadRequestException.badRequest("bad-revision", what + " must be a revision (a whole number of 0 or more), not '" + text + "'");
    }

    /** A watcher's connection, which also sends the keys of an {@code initial=true} start. */
    private interface Sink extends WatchStream.Sink {
        void initial(KeyValue kv) throws IOException;
    }

    /**
     * Server-Sent Events. Only the last event of a revision carries {@code id:}, so a client that
     * reconnects with {@code Last-Event-ID} after losing half of a transaction's events gets all of them again.
     */
    private static final class SseSink implements Sink {
        private final SseEmitter emitter;

        SseSink(SseEmitter emitter) {
            this.emitter = emitter;
        }

        @Override
        public void initial(KeyValue kv) throws IOException {
            emitter.send(SseEmitter.event().name("put").data(WatchEvents.initial(kv), MediaType.APPLICATION_JSON));
        }

        @Override
        public void events(long revision, List<KvEvent> events) throws IOException {
            for (int i = 0; i < events.size(); i++) {
                KvEvent e = events.get(i);
                SseEmitter.SseEventBuilder b = SseEmitter.event().name(e.type() == KvEvent.Type.PUT ? "put" : "delete");
                if (i == events.size() - 1) {
                    b.id(Long.toString(revision));
                }
                emitter.send(b.data(WatchEvents.event(e), MediaType.APPLICATION_JSON));
            }
        }

        @Override
        public void bookmark(long revision) throws IOException {
            emitter.send(SseEmitter.event().name("bookmark").id(Long.toString(revision))
                    .data(WatchEvents.bookmark(revision), MediaType.APPLICATION_JSON));
        }

        @Override
        public void gone(long resumeRevision, long oldestRevision) throws IOException {
            emitter.send(SseEmitter.event().name("gone").data(WatchEvents.gone(resumeRevision, oldestRevision), MediaType.APPLICATION_JSON));
        }

        @Override
        public void forbidden(long revision, String why) throws IOException {
            emitter.send(SseEmitter.event().name("forbidden").data(WatchEvents.forbidden(revision, why), MediaType.APPLICATION_JSON));
        }

        @Override
        public void end() {
            emitter.complete();
        }
    }

    /**
     * One JSON object per line, the same objects as the SSE {@code data:}; the 410 is
     * {@code {"type":"gone","problem":{...}}} and the 403 {@code {"type":"forbidden","problem":{...}}}.
     */
    private static final class NdjsonSink implements Sink {
        private final ResponseBodyEmitter emitter;

        NdjsonSink(ResponseBodyEmitter emitter) {
            this.emitter = emitter;
        }

        private void line(String json) throws IOException {
            emitter.send(json + "\n", MediaType.TEXT_PLAIN);
        }

        @Override
        public void initial(KeyValue kv) throws IOException {
            line(WatchEvents.initial(kv));
        }

        @Override
        public void events(long revision, List<KvEvent> events) throws IOException {
            StringBuilder b = new StringBuilder();
            for (KvEvent e : events) {
                b.append(WatchEvents.event(e)).append('\n');
            }
            emitter.send(b.toString(), MediaType.TEXT_PLAIN);
        }

        @Override
        public void bookmark(long revision) throws IOException {
            line(WatchEvents.bookmark(revision));
        }

        @Override
        public void gone(long resumeRevision, long oldestRevision) throws IOException {
            line("{\"type\":\"gone\",\"problem\":" + WatchEvents.gone(resumeRevision, oldestRevision) + "}");
        }

        @Override
        public void forbidden(long revision, String why) throws IOException {
            line("{\"type\":\"forbidden\",\"problem\":" + WatchEvents.forbidden(revision, why) + "}");
        }

        @Override
        public void end() {
            emitter.complete();
        }
    }
}
