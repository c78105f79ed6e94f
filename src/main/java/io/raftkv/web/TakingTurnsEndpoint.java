package io.raftkv.web;

import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SecureNioChannel;
import org.apache.tomcat.util.net.SocketBufferHandler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The client port's NIO endpoint: a kept-alive connection goes back to the poller after each answer,
 * behind the connections already waiting, instead of having its next request served at once by the
 * worker that answered it.
 *
 * <p>Tomcat's worker loops over a connection while a non-blocking read finds its next request
 * ({@code Http11Processor.service}), so under saturating load with a few workers the connections that
 * answer quickest went round and round while the rest waited in the poller: the leader's 64 benchmark
 * connections got from 78 KB to 864 KB of stale reads each in 10 s, and the p99 was ten times the
 * median. Here each connection's channel reports nothing to read once after it has written an answer;
 * the worker then hands the connection to the poller, which finds the request in the socket and queues
 * it behind the others.
 *
 * <p>Why that "nothing" is safe: a channel only says so when no byte is buffered above the socket
 * (Tomcat's own buffers are drained before it reads the channel; a TLS channel must also have no
 * undecrypted bytes), so the bytes are in the kernel and the poller's level-triggered select reports
 * the socket readable. Every Tomcat path that reads the channel already handles a read of nothing by
 * registering with the poller, as it must for a request that has not arrived yet; a blocking read (a
 * body after {@code 100 Continue}) waits one poller round.
 */
public final class TakingTurnsEndpoint extends NioEndpoint {

    @Override
    protected NioChannel createChannel(SocketBufferHandler buffer) {
        return isSSLEnabled() ? new SecureChannel(buffer, this) : new PlainChannel(buffer);
    }

    /** Whether the channel has written since it last gave its turn away. */
    private static final class Turn {
        private volatile boolean answered;

        /** Passes a write's count through, noting that the connection has been answered. */
        int wrote(int bytes) {
            wrote((long) bytes);
            return bytes;
        }

        long wrote(long bytes) {
            if (bytes > 0) {
                answered = true;
            }
            return bytes;
        }

        /** True once after each answer: the read that would take the next request gives way instead. */
        boolean giveWay() {
            if (answered) {
                answered = false;
                return true;
            }
            return false;
        }

        void reset() {
            answered = false;
        }
    }

    private static final class PlainChannel extends NioChannel {
        private final Turn turn = new Turn();

        PlainChannel(SocketBufferHandler buffer) {
            super(buffer);
        }

        @Override
        public void reset(SocketChannel channel, NioSocketWrapper socketWrapper) throws IOException {
            turn.reset();
            super.reset(channel, socketWrapper);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return turn.wrote(super.write(src));
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return turn.wrote(super.write(srcs, offset, length));
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return turn.giveWay() ? 0 : super.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return turn.giveWay() ? 0 : super.read(dsts, offset, length);
        }
    }

    private static final class SecureChannel extends SecureNioChannel {
        private final Turn turn = new Turn();

        SecureChannel(SocketBufferHandler buffer, NioEndpoint endpoint) {
            super(buffer, endpoint);
        }

        @Override
        public void reset(SocketChannel channel, NioSocketWrapper socketWrapper) throws IOException {
            turn.reset();
            super.reset(channel, socketWrapper);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return turn.wrote(super.write(src));
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return turn.wrote(super.write(srcs, offset, length));
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            // Bytes already taken from the socket but not yet decrypted would not wake the poller.
            return netInBuffer.position() == 0 && turn.giveWay() ? 0 : super.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return netInBuffer.position() == 0 && turn.giveWay() ? 0 : super.read(dsts, offset, length);
        }
    }
}
