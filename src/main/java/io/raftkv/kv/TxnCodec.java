package io.raftkv.kv;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of {@link TxnCommand}. Big-endian ({@link DataOutputStream}):
 * <pre>
 * u8      {@link TxnCommand#FORMAT_TAG} (0x82: the transaction family, version 1)
 * int n,  n x compare: string key, u8 target (0 value, 1 modRevision, 2 createRevision, 3 version),
 *                      u8 op (0 ==, 1 !=, 2 &lt;, 3 &gt;), then bytes value (value) or long number (others)
 * int n,  n x success op; int n, n x failure op:
 *           u8 kind (1 put, 2 delete, 3 get), string key; put: bytes value, optstring contentType, long lease
 * optstring idempotencyKey
 * long    proposedAtMillis
 * </pre>
 * {@code string}/{@code bytes}: int length then the UTF-8/raw bytes; {@code optstring}: length -1 for null.
 * Nothing may follow the last field.
 */
final class TxnCodec {
    private static final int KIND_PUT = 1;
    private static final int KIND_DELETE = 2;
    private static final int KIND_GET = 3;

    private TxnCodec() {
    }

    static byte[] encode(TxnCommand txn) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(TxnCommand.FORMAT_TAG);
            out.writeInt(txn.compare().size());
            for (TxnCommand.Compare c : txn.compare()) {
                writeString(out, c.key());
                out.writeByte(c.target().ordinal());
                out.writeByte(c.op().ordinal());
                if (c.target() == TxnCommand.Target.VALUE) {
                    writeBytes(out, c.value());
                } else {
                    out.writeLong(c.number());
                }
            }
            writeOps(out, txn.success());
            writeOps(out, txn.failure());
            writeOptString(out, txn.idempotencyKey());
            out.writeLong(txn.proposedAtMillis());
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array stream does not fail", e);
        }
        return bytes.toByteArray();
    }

    static TxnCommand decode(byte[] data) {
        if (!TxnCommand.isTxn(data)) {
            throw new IllegalArgumentException("not a transaction: it does not start with 0x82");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 1, data.length - 1));
        try {
            int n = count(in, data.length, "comparisons");
            List<TxnCommand.Compare> compare = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String key = readString(in, "compare key");
                TxnCommand.Target target = enumAt(TxnCommand.Target.values(), in.readUnsignedByte(), "target");
                TxnCommand.Operator op = enumAt(TxnCommand.Operator.values(), in.readUnsignedByte(), "operator");
                compare.add(target == TxnCommand.Target.VALUE
                        ? new TxnCommand.Compare(key, target, op, 0, readBytes(in, "compare value"))
                        : new TxnCommand.Compare(key, target, op, in.readLong(), null));
            }
            List<TxnCommand.Op> success = readOps(in, data.length);
            List<TxnCommand.Op> failure = readOps(in, data.length);
            String idem = readOptString(in, "idempotencyKey");
            long proposedAt = in.readLong();
            if (in.available() != 0) {
                throw new IllegalArgumentException("corrupt transaction: " + in.available() + " bytes after the last field");
            }
            return new TxnCommand(compare, success, failure, idem, proposedAt);
        } catch (EOFException e) {
            throw new IllegalArgumentException("corrupt transaction: truncated", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt transaction: " + e.getMessage(), e);
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new IllegalArgumentException("corrupt transaction: " + e.getMessage(), e);
        }
    }

    private static void writeOps(DataOutputStream out, List<TxnCommand.Op> ops) throws IOException {
        out.writeInt(ops.size());
        for (TxnCommand.Op op : ops) {
            if (op instanceof TxnCommand.Put p) {
                out.writeByte(KIND_PUT);
                writeString(out, p.key());
                writeBytes(out, p.value());
                writeOptString(out, p.contentType());
                out.writeLong(p.lease());
            } else {
                out.writeByte(op instanceof TxnCommand.Delete ? KIND_DELETE : KIND_GET);
                writeString(out, op.key());
            }
        }
    }

    private static List<TxnCommand.Op> readOps(DataInputStream in, int limit) throws IOException {
        int n = count(in, limit, "operations");
        List<TxnCommand.Op> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = in.readUnsignedByte();
            String key = readString(in, "key");
            ops.add(switch (kind) {
                case KIND_PUT -> new TxnCommand.Put(key, readBytes(in, "value"), readOptString(in, "contentType"), in.readLong());
                case KIND_DELETE -> new TxnCommand.Delete(key);
                case KIND_GET -> new TxnCommand.Get(key);
                default -> throw new IOException("unknown operation kind " + kind);
            });
        }
        return ops;
    }

    /** A count no larger than the entry itself: each element takes at least one byte. */
    private static int count(DataInputStream in, int limit, String what) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new IOException("impossible number of " + what + ": " + n);
        }
        return n;
    }

    private static <E> E enumAt(E[] values, int ordinal, String what) throws IOException {
        if (ordinal >= values.length) {
            throw new IOException("unknown " + what + " " + ordinal);
        }
        return values[ordinal];
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, Utf8.encode(s));
    }

    static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    static void writeOptString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
        } else {
            writeString(out, s);
        }
    }

    static byte[] readBytes(DataInputStream in, String what) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException(what + " length " + length + " does not fit in the " + in.available() + " bytes left");
        }
        return in.readNBytes(length);
    }

    static String readString(DataInputStream in, String what) throws IOException {
        byte[] b = readBytes(in, what);
        try {
            return Utf8.decode(b, 0, b.length);
        } catch (CharacterCodingException e) {
            throw new IOException(what + " is not valid UTF-8");
        }
    }

    static String readOptString(DataInputStream in, String what) throws IOException {
        in.mark(4);
        if (in.readInt() == -1) {
            return null;
        }
        in.reset();
        return readString(in, what);
    }
}
