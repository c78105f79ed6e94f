package io.raftkv.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * Bounds of watches and transactions ({@code raftkv.watch.*}, {@code raftkv.txn.*}).
 *
 * @param watch the applied-event history that watches resume from, and the watchers' own bounds
 * @param txn   the size of one transaction
 */
@ConfigurationProperties("raftkv")
public record CoordinationProperties(@DefaultValue Watch watch, @DefaultValue Txn txn) {

    /**
     * @param history          the window of recent events a watch may resume from
     * @param bookmarkInterval how often an idle watch is sent the current revision
     * @param maxWatchers      watches one node serves at once (each holds a thread); more get 429
     * @param maxInitialKeys   keys an {@code initial=true} watch may send as its starting state; more get 413
     */
    public record Watch(@DefaultValue History history, @DefaultValue("10s") Duration bookmarkInterval,
                        @DefaultValue("1000") int maxWatchers, @DefaultValue("10000") int maxInitialKeys) {
        public Watch {
            if (bookmarkInterval.isNegative() || bookmarkInterval.isZero()) {
                throw new IllegalArgumentException("raftkv.watch.bookmark-interval must be positive");
            }
            if (maxWatchers < 1 || maxInitialKeys < 1) {
                throw new IllegalArgumentException("raftkv.watch.max-watchers and max-initial-keys must be at least 1");
            }
        }
    }

    /**
     * Events are dropped, oldest first, as soon as any bound is passed.
     *
     * @param maxBytes null for the default: 64 MB or a sixteenth of the max heap, the smaller (the
     *                 window keeps overwritten values alive, so it must fit beside the store quota)
     */
    public record History(@DefaultValue("100000") int maxEvents, DataSize maxBytes, @DefaultValue("10m") Duration maxAge) {
        public History {
            if (maxEvents < 1 || maxBytes != null && maxBytes.toBytes() < 1 || maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("raftkv.watch.history.max-events, max-bytes and max-age must be positive");
            }
        }

        /** {@link #maxBytes}, or its default for a JVM with {@code maxHeapBytes}. */
        public long maxBytes(long maxHeapBytes) {
            return maxBytes != null ? maxBytes.toBytes() : Math.min(64L << 20, maxHeapBytes / 16);
        }
    }

    /** @param maxOps comparisons plus operations of both branches in one transaction */
    public record Txn(@DefaultValue("128") int maxOps) {
        public Txn {
            if (maxOps < 1) {
                throw new IllegalArgumentException("raftkv.txn.max-ops must be at least 1");
            }
        }
    }
}
