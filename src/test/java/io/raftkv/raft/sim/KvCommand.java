package io.raftkv.raft.sim;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A simulated client's write as it travels through the log. {@code expected} null means "absent" for
 * CAS. {@code op} names the client operation, so the simulator can tell whether the write it was
 * answered about was applied.
 */
public record KvCommand(Kind kind, String key, String value, String expected, String op) {
    public enum Kind { PUT, DELETE, CAS }

    public KvCommand(Kind kind, String key, String value, String expected) {
        this(kind, key, value, expected, null);
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(kind.ordinal());
            out.writeUTF(key);
            writeNullable(out, value);
            writeNullable(out, expected);
            writeNullable(out, op);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KvCommand decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            Kind kind = Kind.values()[in.readByte()];
            return new KvCommand(kind, in.readUTF(), readNullable(in), readNullable(in), readNullable(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
