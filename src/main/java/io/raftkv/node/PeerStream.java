package io.raftkv.node;

import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One long-lived WebSocket to a peer's {@code /raft/stream}. This node's messages to that peer travel
 * over it one way, a batch at a time; the peer's answers come back over the peer's own streams, so
 * nothing here waits for a reply and the core's in-flight window is what bounds replication, not a
 * round trip per request. Opened on first use and again after it fails; a batch is handed over as
 * one or more {@link StreamFrames}.
 *
 * <p>Used by one sender thread at a time (its lane sees to that); {@link #close} may come from any. OkHttp's threads call the listener: a stream that fails
 * after it opened reports to {@code lost}, since what was handed to it may never have arrived.
 */
final class PeerStream {
    private static final Logger log = LoggerFactory.getLogger(PeerStream.class);


    /**
     * Bytes OkHttp may hold unsent before the sender waits. OkHttp closes a WebSocket whose queue
     * passes 16 MiB, so a batch is handed over in frames of at most {@link StreamFrames#CHUNK_BYTES}
     * and only while the queue is below this mark.
     */
    static final long QUEUE_HIGH_WATER = 4L << 20;

    private final String peer;
    private final Duration openTimeout;
    private final PeerClient client;
    private final Supplier<Request> handshake;
    private final Consumer<Response> answered;
    private final Consumer<String> lost;
    /** The stream in use; written by the sender thread, and read by {@link #close} from the one stopping the node. */
    private volatile Attempt current;

    /**
     * @param openTimeout how long opening a stream (connect, TLS, upgrade) may take: the upgrade's
     *                    answer is the one thing a stream waits for, and one that is lost (reset on
     *                    the peer's side) must not hold its sender for the socket's read timeout
     * @param handshake the upgrade request to send (with the peer headers), or null once the peer is no member
     * @param answered  given the upgrade's answer, to learn what the peer says about itself
     * @param lost      told why an open stream failed or was closed by the peer
     */
    PeerStream(String peer, Duration openTimeout, PeerClient client, Supplier<Request> handshake, Consumer<Response> answered, Consumer<String> lost) {
        this.peer = peer;
        this.openTimeout = openTimeout;
        this.client = client;
        this.handshake = handshake;
        this.answered = answered;
        this.lost = lost;
    }

    /**
     * Hands one encoded batch to the stream, opening it first if there is none. A stream found closed
     * is opened again once, at once: the batch goes whole on the new one (the peer drops a batch it got
     * only part of). Returns once the batch is queued for the socket, not when it arrives.
     *
     * @throws PeerRefusal when the peer answers the upgrade with an error status
     * @throws IOException when no stream could be opened
     */
    void send(byte[] batch) throws IOException, InterruptedException {
        Attempt a = current;
        if (a == null || a.dead || a.abandoned) {
            a = open();
        }
        if (!a.write(batch)) {
            a = open();
            if (!a.write(batch)) {
                throw new IOException("the stream to " + peer + " closed while a batch was written");
            }
        }
    }

    /**
     * Whether a batch of one frame can be handed over now without waiting: the stream is open and
     * OkHttp's queue has room. Any thread may ask; the answer may be stale by the time it is used.
     */
    boolean canSendNow() {
        Attempt a = current;
        return a != null && !a.dead && !a.abandoned && a.socket.queueSize() <= QUEUE_HIGH_WATER;
    }

    /**
     * Hands a batch that fits one frame to the open stream without opening, retrying or waiting;
     * false if it was not handed over (no open stream, no room, too large, or the stream just closed).
     * A batch this refuses was not sent at all, so it may go whole on another try.
     */
    boolean trySend(byte[] batch) {
        Attempt a = current;
        if (batch.length > StreamFrames.CHUNK_BYTES || a == null || a.dead || a.abandoned
                || a.socket.queueSize() > QUEUE_HIGH_WATER) {
            return false;
        }
        return a.socket.send(StreamFrames.frame(batch, 0, batch.length, true));
    }

    void close() {
        Attempt a = current;
        current = null;
        if (a != null) {
            a.abandoned = true;
            a.socket.close(1001, "going away");
        }
    }

    private Attempt open() throws IOException, InterruptedException {
        close();
        Request req = handshake.get();
        if (req == null) {
            throw new IOException(peer + " is no longer a member");
        }
        Attempt a = new Attempt();
        a.socket = client.streams().newWebSocket(req, a);
        try {
            a.opened.get(openTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            a.socket.cancel();
            throw new IOException("no answer to the stream upgrade from " + peer + " within " + openTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            a.socket.cancel();
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            a.socket.cancel();
            throw e;
        }
        current = a;
        return a;
    }

    /** One stream from upgrade to failure. */
    private final class Attempt extends WebSocketListener {
        final CompletableFuture<Void> opened = new CompletableFuture<>();
        volatile boolean dead;
        /** Closed by this side (stopping, or replaced): its end is no loss worth reporting. */
        volatile boolean abandoned;
        WebSocket socket;

        /** Queues the batch's frames; false if the stream is closed or closes meanwhile. */
        boolean write(byte[] batch) throws InterruptedException {
            int offset = 0;
            do {
                int n = Math.min(StreamFrames.CHUNK_BYTES, batch.length - offset);
                boolean last = offset + n == batch.length;
                while (socket.queueSize() > QUEUE_HIGH_WATER) {
                    if (dead) {
                        return false;
                    }
                    Thread.sleep(1);
                }
                if (dead || !socket.send(StreamFrames.frame(batch, offset, n, last))) {
                    return false;
                }
                offset += n;
            } while (offset < batch.length);
            return true;
        }

        @Override
        public void onOpen(WebSocket webSocket, Response response) {
            answered.accept(response);
            opened.complete(null);
        }

        @Override
        public void onFailure(WebSocket webSocket, Throwable t, Response response) {
            dead = true;
            if (opened.isDone()) {
                if (!abandoned) {
                    lost.accept(t.toString());
                }
            } else if (response != null) {
                opened.completeExceptionally(new PeerRefusal(response.code(), "HTTP " + response.code() + " from " + peer
                        + StreamFrames.PATH + PeerRefusal.detail(response)));
            } else {
                opened.completeExceptionally(t instanceof IOException io ? io : new IOException(t));
            }
        }

        @Override
        public void onClosing(WebSocket webSocket, int code, String reason) {
            dead = true;
            webSocket.close(1000, null);
            if (!abandoned && code != 1001) {
                lost.accept("closed by " + peer + ": " + code + " " + reason);
            } else {
                log.debug("{} closed its end of a stream: {}", peer, reason);
            }
        }

        @Override
        public void onClosed(WebSocket webSocket, int code, String reason) {
            dead = true;
        }

        @Override
        public void onMessage(WebSocket webSocket, ByteString bytes) {
            // Peers never send on a stream; one that does is ignored.
        }
    }
}
