package io.raftkv.raft.sim;

import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Snapshot;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** The simulator's replicated key-value model: one string register per key. */
public final class SimStateMachine {
    private final TreeMap<String, String> data = new TreeMap<>();
    private long appliedIndex;
    private Membership membership;

    SimStateMachine(Snapshot base) {
        restore(base);
    }

    void restore(Snapshot s) {
        data.clear();
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(s.data()));
            if (s.data().length > 0) {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    data.put(in.readUTF(), in.readUTF());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        appliedIndex = s.index();
        membership = s.metadata().membership();
    }

    /** Applies a committed entry; returns whether a CAS swapped (true for every other write). */
    boolean apply(Entry e) {
        if (e.index() != appliedIndex + 1) {
            throw new IllegalStateException("apply of " + e.index() + " after " + appliedIndex);
        }
        appliedIndex = e.index();
        if (e.type() == EntryType.MEMBERSHIP) {
            membership = Membership.decode(e.data());
            return true;
        }
        if (e.type() != EntryType.COMMAND) {
            return true;
        }
        KvCommand c = KvCommand.decode(e.data());
        switch (c.kind()) {
            case PUT -> data.put(c.key(), c.value());
            case DELETE -> data.remove(c.key());
            case CAS -> {
                if (!Objects.equals(data.get(c.key()), c.expected())) {
                    return false;
                }
                data.put(c.key(), c.value());
            }
        }
        return true;
    }

    public String get(String key) {
        return data.get(key);
    }

    public Map<String, String> contents() {
        return Map.copyOf(data);
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    Membership membership() {
        return membership;
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(data.size());
            for (Map.Entry<String, String> e : data.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
