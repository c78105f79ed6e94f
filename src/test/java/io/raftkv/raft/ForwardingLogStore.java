package io.raftkv.raft;

import java.util.List;

/** A log that hands every call to another; a test's fake overrides only the calls it changes. */
public abstract class ForwardingLogStore implements LogStore {
    private final LogStore inner;

    protected ForwardingLogStore(LogStore inner) {
        this.inner = inner;
    }

    @Override
    public long firstIndex() {
        return inner.firstIndex();
    }

    @Override
    public long lastIndex() {
        return inner.lastIndex();
    }

    @Override
    public long term(long index) {
        return inner.term(index);
    }

    @Override
    public List<Entry> entries(long from, long to, long maxBytes) {
        return inner.entries(from, to, maxBytes);
    }

    @Override
    public void append(List<Entry> entries) {
        inner.append(entries);
    }

    @Override
    public void compact(long index) {
        inner.compact(index);
    }

    @Override
    public boolean tidy() {
        return inner.tidy();
    }

    @Override
    public void reset(long index, long term) {
        inner.reset(index, term);
    }
}
