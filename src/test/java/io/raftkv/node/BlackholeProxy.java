package io.raftkv.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy whose existing connections can be made to swallow everything silently in both
 * directions: no reset, no close, as when a NAT drops a connection's state or a cable is pulled.
 * Connections opened afterwards are forwarded again.
 */
public final class BlackholeProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();

    public BlackholeProxy(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "blackhole-proxy");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** How many connections were opened through the proxy. */
    public int connectionCount() {
        return connections.size();
    }

    /** Every connection open now swallows what either side writes from now on. */
    public void swallowOpenConnections() {
        connections.forEach(c -> c.swallowing = true);
    }

    /** How many connections the target has closed (its end of the proxy's connection to it ended). */
    public int closedByTarget() {
        return (int) connections.stream().filter(c -> c.targetClosed).count();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection c : connections) {
            c.client.close();
            c.upstream.close();
        }
    }

    private void accept() {
        try {
            while (true) {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                Connection c = new Connection(client, upstream);
                connections.add(c);
                pump(c, client.getInputStream(), upstream.getOutputStream(), false);
                pump(c, upstream.getInputStream(), client.getOutputStream(), true);
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void pump(Connection c, InputStream in, OutputStream out, boolean fromTarget) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (!c.swallowing) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // either end closed
            }
            if (fromTarget) {
                c.targetClosed = true;
            }
        }, "blackhole-pump");
        t.setDaemon(true);
        t.start();
    }

    private static final class Connection {
        final Socket client;
        final Socket upstream;
        volatile boolean swallowing;
        volatile boolean targetClosed;

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }
    }
}
