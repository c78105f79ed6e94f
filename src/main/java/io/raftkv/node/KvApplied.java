package io.raftkv.node;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.WriteResult;
import io.raftkv.raft.SnapshotData;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The key-value store as the driver's {@link StateMachine}; {@code kv} knows nothing of the runtime around it. */
record KvApplied(KvStateMachine kv) implements StateMachine<WriteResult> {

    @Override
    public WriteResult apply(long index, byte[] command) {
        return kv.apply(index, command);
    }

    @Override
    public void skip(long index) {
        kv.skip(index);
    }

    @Override
    public long appliedIndex() {
        return kv.appliedIndex();
    }

    @Override
    public void restore(InputStream in) throws IOException {
        kv.restore(in);
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        kv.writeSnapshot(out);
    }

    @Override
    public SnapshotData capture() throws IOException {
        return new CapturedState(kv.capture()::writeTo);
    }
}
