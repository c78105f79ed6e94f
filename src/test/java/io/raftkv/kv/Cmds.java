package io.raftkv.kv;

import java.nio.charset.StandardCharsets;

/** Short builders for commands in tests. */
final class Cmds {
    private Cmds() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(KeyValue kv) {
        return new String(kv.value(), StandardCharsets.UTF_8);
    }

    static KvCommand.Put put(String key, String value) {
        return new KvCommand.Put(key, bytes(value), null, Precondition.NONE, null, 0);
    }

    static KvCommand.Put put(String key, String value, Precondition p) {
        return new KvCommand.Put(key, bytes(value), null, p, null, 0);
    }

    static KvCommand.Put put(String key, String value, Precondition p, String idem, long at) {
        return new KvCommand.Put(key, bytes(value), null, p, idem, at);
    }

    static KvCommand.Delete delete(String key) {
        return new KvCommand.Delete(key, Precondition.NONE, null, 0);
    }

    static KvCommand.Delete delete(String key, Precondition p) {
        return new KvCommand.Delete(key, p, null, 0);
    }

    static KvCommand.Delete delete(String key, Precondition p, String idem, long at) {
        return new KvCommand.Delete(key, p, idem, at);
    }

    /** Collects every change {@code sm} applies from now on into {@code events}, in order. */
    static void record(KvStateMachine sm, java.util.List<KvEvent> events) {
        sm.listen(new KvStateMachine.Listener() {
            @Override
            public void applied(long revision, java.util.List<KvEvent> changes) {
                events.addAll(changes);
            }

            @Override
            public void restored(long appliedIndex) {
            }
        });
    }
}
