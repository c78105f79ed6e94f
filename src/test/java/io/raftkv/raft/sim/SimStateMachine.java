package io.raftkv.raft.sim;

import io.raftkv.node.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ObjLongConsumer;

/**
 * The simulator's replicated key-value model, one string register per key, as the driver's state
 * machine. Applying a command yields whether it took effect (false only for a CAS whose expected value
 * did not match). It refuses an index out of order, which the driver must never produce.
 */
public final class SimStateMachine implements StateMachine<Boolean> {
    private final TreeMap<String, String> data = new TreeMap<>();
    private final ObjLongConsumer<KvCommand> onApply;
    private volatile long appliedIndex;

    /** @param onApply told of every command as it is applied, before its result goes anywhere */
    SimStateMachine(ObjLongConsumer<KvCommand> onApply) {
        this.onApply = onApply;
    }

    @Override
    public Boolean apply(long index, byte[] command) {
        next(index);
        KvCommand c = KvCommand.decode(command);
        onApply.accept(c, index);
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

    @Override
    public void skip(long index) {
        next(index);
    }

    private void next(long index) {
        if (index != appliedIndex + 1) {
            throw new IllegalStateException("apply of " + index + " after " + appliedIndex);
        }
        appliedIndex = index;
    }

    @Override
    public long appliedIndex() {
        return appliedIndex;
    }

    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        long index = d.readLong();
        int n = d.readInt();
        data.clear();
        for (int i = 0; i < n; i++) {
            data.put(d.readUTF(), d.readUTF());
        }
        appliedIndex = index;
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeLong(appliedIndex);
        d.writeInt(data.size());
        for (Map.Entry<String, String> e : data.entrySet()) {
            d.writeUTF(e.getKey());
            d.writeUTF(e.getValue());
        }
        d.flush();
    }

    public String get(String key) {
        return data.get(key);
    }

    public Map<String, String> contents() {
        return Map.copyOf(data);
    }
}
