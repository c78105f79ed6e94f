package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;
import io.raftkv.raft.LogStore;

import java.util.ArrayList;
import java.util.List;

/** The in-memory twin of the write-ahead log, for tests and the simulator. */
public final class MemoryLogStore implements LogStore {
    private long startIndex; // snapshot point: the entry before the first one held
    private long startTerm;
    private final ArrayList<Entry> entries = new ArrayList<>();

    @Override
    public synchronized long firstIndex() {
        return startIndex + 1;
    }

    @Override
    public synchronized long lastIndex() {
        return startIndex + entries.size();
    }

    @Override
    public synchronized long term(long index) {
        LogBounds.checkTerm(index, startIndex, lastIndex());
        if (index == startIndex) {
            return startTerm;
        }
        return entries.get((int) (index - startIndex - 1)).term();
    }

    @Override
    public synchronized List<Entry> entries(long from, long to, long maxBytes) {
        LogBounds.checkRange(from, to, startIndex, lastIndex());
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i < to; i++) {
            Entry e = entries.get((int) (i - startIndex - 1));
            bytes += e.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public synchronized void append(List<Entry> batch) {
        if (batch.isEmpty()) {
            return;
        }
        LogBounds.checkAppend(batch, startIndex, lastIndex());
        int keep = (int) (batch.get(0).index() - startIndex - 1);
        entries.subList(keep, entries.size()).clear();
        entries.addAll(batch);
    }

    @Override
    public synchronized void compact(long index) {
        if (index <= startIndex) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalArgumentException("cannot compact to " + index + " beyond last " + lastIndex());
        }
        long term = term(index);
        entries.subList(0, (int) (index - startIndex)).clear();
        entries.trimToSize();
        startIndex = index;
        startTerm = term;
    }

    @Override
    public synchronized void reset(long index, long term) {
        entries.clear();
        startIndex = index;
        startTerm = term;
    }
}
