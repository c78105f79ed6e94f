package io.raftkv.node;

import io.raftkv.raft.Message;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * A peer at the other end of {@link PeerTransport}'s streams: an embedded Tomcat that upgrades
 * {@code GET /raft/stream} as the peer server does, answering with the headers a test chooses (or
 * refusing with a status), and collecting the upgrade requests' headers and the batches that arrive.
 */
final class FakeStreamPeer implements AutoCloseable {
    final BlockingQueue<Map<String, String>> upgrades = new LinkedBlockingQueue<>();
    final BlockingQueue<List<Message>> batches = new LinkedBlockingQueue<>();
    /** The paths of the POSTs that carried messages. */
    final BlockingQueue<String> posts = new LinkedBlockingQueue<>();
    final List<Session> sessions = new CopyOnWriteArrayList<>();
    private final Tomcat tomcat = new Tomcat();
    private final Map<String, String> answerHeaders = new ConcurrentHashMap<>();
    /** Given the upgrade's number (from 1), a status to refuse it with, or 0 to accept. */
    private volatile Function<Integer, Integer> refusal = n -> 0;
    private int upgradeCount;

    FakeStreamPeer() throws Exception {
        tomcat.setBaseDir(Files.createTempDirectory("fake-peer").toString());
        tomcat.setPort(0);
        Context ctx = tomcat.addContext("", null);
        ctx.addServletContainerInitializer(new WsSci(), null);
        Tomcat.addServlet(ctx, "peer", new HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                if ("POST".equals(req.getMethod())) { // as a node of an earlier version takes messages
                    posts.add(req.getRequestURI());
                    batches.add(MessageCodec.decode(req.getInputStream().readAllBytes()));
                    resp.setStatus(204);
                    return;
                }
                Map<String, String> headers = new ConcurrentHashMap<>();
                Collections.list(req.getHeaderNames()).forEach(h -> headers.put(h.toLowerCase(), req.getHeader(h)));
                upgrades.add(headers);
                int status = refusal.apply(++upgradeCount);
                if (status != 0) {
                    resp.setStatus(status);
                    return;
                }
                answerHeaders.forEach(resp::setHeader);
                ServerEndpointConfig config = ServerEndpointConfig.Builder.create(Receiver.class, StreamFrames.PATH)
                        .configurator(new ServerEndpointConfig.Configurator() {
                            @Override
                            public <T> T getEndpointInstance(Class<T> type) {
                                return type.cast(new Receiver());
                            }
                        }).build();
                try {
                    ((ServerContainer) getServletContext().getAttribute(ServerContainer.class.getName()))
                            .upgradeHttpToWebSocket(req, resp, config, Map.of());
                } catch (jakarta.websocket.DeploymentException e) {
                    throw new IOException(e);
                }
            }
        });
        ctx.addServletMappingDecoded("/", "peer");
        tomcat.getConnector();
        tomcat.start();
    }

    /** Where the peer listens. */
    int port() {
        return tomcat.getConnector().getLocalPort();
    }

    void answerWith(Map<String, String> headers) {
        answerHeaders.putAll(headers);
    }

    void refuse(Function<Integer, Integer> statusByUpgrade) {
        refusal = statusByUpgrade;
    }

    /** Closes every open stream from this side, as a peer restarting would. */
    void dropStreams() throws IOException {
        for (Session s : sessions) {
            s.close(new CloseReason(CloseReason.CloseCodes.UNEXPECTED_CONDITION, "dropped by the test"));
        }
        sessions.clear();
    }

    @Override
    public void close() throws Exception {
        tomcat.stop();
        tomcat.destroy();
    }

    /** Puts each stream's frames back into batches, as the peer server does. */
    public final class Receiver extends Endpoint {
        @Override
        public void onOpen(Session session, EndpointConfig config) {
            sessions.add(session);
            StreamFrames.Assembler assembler = new StreamFrames.Assembler(64L << 20);
            session.addMessageHandler(ByteBuffer.class, (MessageHandler.Partial<ByteBuffer>) (part, last) -> {
                byte[] batch = assembler.accept(part, last);
                if (batch != null) {
                    batches.add(MessageCodec.decode(batch));
                }
            });
        }
    }
}
