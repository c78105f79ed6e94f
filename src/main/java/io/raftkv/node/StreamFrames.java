package io.raftkv.node;

import okio.ByteString;

import java.nio.ByteBuffer;

/**
 * How a batch of peer messages travels on a {@code /raft/stream} WebSocket: as one or more binary
 * messages, each a flag byte ({@link #MORE} or {@link #LAST}) and the next piece of the batch's
 * {@link MessageCodec} encoding. Pieces keep each WebSocket message small, so a batch of large
 * entries never needs a large buffer on either side beyond the batch itself, which the receiver
 * bounds as it did a request body.
 */
public final class StreamFrames {
    /** The peer port's stream endpoint (a WebSocket upgrade of a {@code GET}). */
    public static final String PATH = "/raft/stream";
    /** The most batch bytes one WebSocket message carries. */
    public static final int CHUNK_BYTES = 256 * 1024;
    public static final byte MORE = 0;
    public static final byte LAST = 1;

    private StreamFrames() {
    }

    static ByteString frame(byte[] batch, int offset, int length, boolean last) {
        byte[] frame = new byte[length + 1];
        frame[0] = last ? LAST : MORE;
        System.arraycopy(batch, offset, frame, 1, length);
        return ByteString.of(frame);
    }

    /**
     * Puts one received WebSocket message (or part of one) together into a batch, refusing any batch
     * past {@code maxBytes}. Used by one thread at a time (a WebSocket session delivers in order).
     */
    public static final class Assembler {
        private final long maxBytes;
        private byte[] buffer = new byte[1024];
        private int size;
        /** -1 before a message's flag byte is read. */
        private int flag = -1;

        public Assembler(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        /**
         * Takes the next bytes of a WebSocket message; {@code messageEnds} when they end it.
         *
         * @return a whole batch once its last message ends, else null
         * @throws IllegalArgumentException when the batch grows past the bound, or a message is empty or has a bad flag
         */
        public byte[] accept(ByteBuffer part, boolean messageEnds) {
            if (flag < 0 && part.hasRemaining()) {
                flag = part.get();
                if (flag != MORE && flag != LAST) {
                    throw new IllegalArgumentException("a stream message starts with flag " + flag + ", not 0 or 1");
                }
            }
            int n = part.remaining();
            if ((long) size + n > maxBytes) {
                throw new IllegalArgumentException("a batch of peer messages may be at most " + maxBytes + " bytes");
            }
            if (size + n > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(maxBytes, Math.max((long) size + n, 2L * buffer.length)));
            }
            part.get(buffer, size, n);
            size += n;
            if (!messageEnds) {
                return null;
            }
            if (flag < 0) {
                throw new IllegalArgumentException("an empty stream message");
            }
            boolean last = flag == LAST;
            flag = -1;
            if (!last) {
                return null;
            }
            byte[] batch = java.util.Arrays.copyOf(buffer, size);
            size = 0;
            if (buffer.length > 64 * 1024) {
                buffer = new byte[1024]; // a large batch's buffer is not kept for the small ones that follow
            }
            return batch;
        }
    }
}
