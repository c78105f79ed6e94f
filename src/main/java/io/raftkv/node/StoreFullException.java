package io.raftkv.node;

/**
 * A write refused on the leader before it was proposed because it would take the stored data past
 * {@code raftkv.limits.max-store-size}. Nothing changed. Reads and deletes still work; deleting keys
 * (or writing smaller values) makes room.
 */
public final class StoreFullException extends RuntimeException {
    private final long usedBytes;
    private final long quotaBytes;
    private final long writeBytes;

    public StoreFullException(long usedBytes, long quotaBytes, long writeBytes) {
        super("the store holds " + usedBytes + " of its " + quotaBytes + " bytes (raftkv.limits.max-store-size) and this write needs "
                + writeBytes + " more; delete keys or store smaller values to make room (reads and deletes still work)",
                null, false, false);
        this.usedBytes = usedBytes;
        this.quotaBytes = quotaBytes;
        this.writeBytes = writeBytes;
    }

    public long usedBytes() {
        return usedBytes;
    }

    public long quotaBytes() {
        return quotaBytes;
    }

    public long writeBytes() {
        return writeBytes;
    }
}
