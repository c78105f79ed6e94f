package io.raftkv.node;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Finds out, once a peer closed or reset a stream it held open with this node, whether its process
 * is still there: a new TCP connection to its peer port that is refused, finds no route or no address
 * for its name, or gets no answer within {@link #TIMEOUT} means it is gone, and {@code gone} is told. A process killed with
 * SIGKILL closes all its connections at once and leaves nothing listening, so its followers learn of
 * it in milliseconds instead of waiting out an election timeout.
 *
 * <p>Why the two together: a connection reset alone happens on a healthy network (a flaky load
 * balancer or NAT, see the reset schedules of the Jepsen suite), but then a new connection is taken;
 * and a new connection that is not answered alone is what a partition looks like, where the election
 * timeout is the right wait. A paused process (SIGSTOP, a long GC) still has its port accepting, so it
 * is not taken for gone. What is told is only a hint to the core ({@code RaftNode#peerGone}), which
 * can never win an election on it.
 *
 * <p>Thread-safe: streams report from OkHttp's threads; one probe per peer runs at a time, on a
 * thread of its own.
 */
final class PeerProbe implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerProbe.class);
    /** How long a new connection may take. Loopback and a LAN answer in well under a millisecond. */
    static final Duration TIMEOUT = Duration.ofMillis(200);
    /** When a connection that was taken is tried once more. */
    static final Duration RECHECK_AFTER = Duration.ofMillis(30);

    private final Function<String, Optional<String>> peerUrl;
    private final Consumer<String> gone;
    private final Set<String> probing = ConcurrentHashMap.newKeySet();
    private final AtomicLong finished = new AtomicLong();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "raftkv-peer-probe");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param peerUrl the peer URL of a member id, empty once it is no member
     * @param gone    told the id of a peer whose process is gone
     */
    PeerProbe(Function<String, Optional<String>> peerUrl, Consumer<String> gone) {
        this.peerUrl = peerUrl;
        this.gone = gone;
    }

    /** {@code peer} closed or reset a stream it held open: checks whether it still listens. */
    void streamLost(String peer) {
        if (!probing.add(peer)) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    peerUrl.apply(peer).ifPresent(url -> probe(peer, URI.create(url)));
                } finally {
                    probing.remove(peer);
                    finished.incrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            probing.remove(peer); // closed
        }
    }

    private void probe(String peer, URI url) {
        int port = url.getPort() >= 0 ? url.getPort() : "https".equals(url.getScheme()) ? 443 : 80;
        String why = connect(url.getHost(), port);
        if (why == null) {
            // A dying process closes its connections one by one, and its listening socket may be among
            // the last: a connection made in between is taken by the kernel for a process that is gone.
            // By the time of a second try, its files are all closed.
            try {
                Thread.sleep(RECHECK_AFTER.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            why = connect(url.getHost(), port);
        }
        if (why != null) {
            log.info("{} closed its streams and a new connection to it failed ({}): its process looks gone", peer, why);
            gone.accept(peer);
        }
    }

    /** Why a new connection failed in a way that means nothing listens there; null if it was taken (or failed otherwise). */
    private static String connect(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) TIMEOUT.toMillis());
            return null;
        } catch (ConnectException | NoRouteToHostException e) {
            return e.getMessage();
        } catch (UnknownHostException e) {
            return "its name no longer resolves"; // a deleted pod's DNS record goes with it
        } catch (SocketTimeoutException e) {
            return "no answer within " + TIMEOUT.toMillis() + " ms";
        } catch (IOException | IllegalArgumentException e) {
            log.debug("probing {}:{} failed: {}", host, port, e.toString());
            return null;
        }
    }

    /** How many probes have run to the end, for tests. */
    long finished() {
        return finished.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
