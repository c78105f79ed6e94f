package io.raftkv.web;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvEvent;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The JSON of watch events, the same for Server-Sent Events' {@code data:} and for NDJSON lines. */
final class WatchEvents {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private WatchEvents() {
    }

    static String event(KvEvent e) {
        KeyValue kv = e.kv();
        ObjectNode n = JSON.createObjectNode();
        if (e.type() == KvEvent.Type.PUT) {
            n.put("type", "put");
            n.put("key", kv.key());
            n.put("revision", e.revision());
            putState(n, kv);
        } else {
            n.put("type", "delete");
            n.put("key", kv.key());
            n.put("revision", e.revision());
            n.put("createRevision", kv.createRevision());
            if (e.byLease()) {
                n.put("lease", e.lease());
                n.put("byLease", true);
            }
        }
        return JSON.writeValueAsString(n);
    }

    /** A key of an {@code initial=true} watch's starting state, as a put marked {@code initial}. */
    static String initial(KeyValue kv) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "put");
        n.put("key", kv.key());
        n.put("revision", kv.modRevision());
        n.put("initial", true);
        putState(n, kv);
        return JSON.writeValueAsString(n);
    }

    static String bookmark(long revision) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "bookmark");
        n.put("revision", revision);
        return JSON.writeValueAsString(n);
    }

    /** The mid-stream 410: the same problem a new watch from {@code resumeRevision} would get, plus where to resume. */
    static String gone(long resumeRevision, long oldestRevision) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", Problems.TYPE_BASE + "gone");
        n.put("title", "Gone");
        n.put("status", 410);
        n.put("detail", goneDetail(resumeRevision, oldestRevision));
        n.put("resumeRevision", resumeRevision);
        n.put("oldestRevision", oldestRevision);
        return JSON.writeValueAsString(n);
    }

    /** The mid-stream 403: the caller may no longer read what it watches; nothing after {@code revision} was sent. */
    static String forbidden(long revision, String why) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", Problems.TYPE_BASE + "forbidden");
        n.put("title", "Forbidden");
        n.put("status", 403);
        n.put("detail", why + "; the stream ends here. Watch again with a token that may read what you watch "
                + "(from the revision below to miss nothing you may still read)");
        n.put("revision", revision);
        return JSON.writeValueAsString(n);
    }

    static String goneDetail(long from, long oldest) {
        return "the changes after revision " + from + " are no longer in this node's watch history (raftkv.watch.history.*); "
                + "watch again from revision " + oldest + " or later, after reading the current state (initial=true does both)";
    }

    private static void putState(ObjectNode n, KeyValue kv) {
        n.put("createRevision", kv.createRevision());
        n.put("modRevision", kv.modRevision());
        n.put("version", kv.version());
        if (kv.contentType() != null) {
            n.put("contentType", kv.contentType());
        }
        ValueText v = ValueText.of(kv);
        if (v.text() != null) {
            n.put("value", v.text());
        } else {
            n.put("valueBase64", v.base64());
        }
    }
}
