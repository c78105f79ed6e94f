package io.raftkv.node;

import io.raftkv.raft.Message;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * How peers exchanged messages before streams, kept for a rolling upgrade: a peer that answers 404
 * to {@code GET /raft/stream} runs an earlier version, so it is sent one POST per run of messages
 * for the same endpoint, each waiting for its 204, until it takes streams. Without this, a cluster
 * half upgraded could not commit: the new followers' answers would never reach an old leader.
 */
final class LegacyPeerPosts {
    static final MediaType WIRE = MediaType.get("application/x-raftkv-raft");
    /** How long a peer that refused streams is sent requests before a stream is tried again. */
    static final long RETRY_STREAMS_AFTER_MILLIS = 30_000;

    private LegacyPeerPosts() {
    }

    /**
     * @param request the peer headers on a request to a URL (see {@link PeerTransport#peerRequest})
     * @param base    the peer's URL with the scheme this node speaks
     */
    static void post(OkHttpClient http, Function<String, Request.Builder> request, String base, List<Message> batch) throws IOException {
        int i = 0;
        while (i < batch.size()) {
            String endpoint = PeerTransport.endpointFor(batch.get(i));
            int j = i + 1;
            while (j < batch.size() && PeerTransport.endpointFor(batch.get(j)).equals(endpoint)) {
                j++;
            }
            RequestBody body = RequestBody.create(MessageCodec.encode(batch.subList(i, j)), WIRE);
            try (Response resp = http.newCall(request.apply(base + endpoint).post(body).build()).execute()) {
                if (!resp.isSuccessful()) {
                    throw new PeerRefusal(resp.code(), "HTTP " + resp.code() + " from " + base + endpoint + PeerRefusal.detail(resp));
                }
            }
            i = j;
        }
    }
}
