package io.raftkv.kv;

import java.nio.charset.CharacterCodingException;
import java.util.Arrays;

/** The binary form of {@link KvCommand}; the layout is documented there. */
final class KvCommandCodec {
    static final int KIND_PUT = 1;
    static final int KIND_DELETE = 2;
    static final int PRE_NONE = 0;
    static final int PRE_REVISION = 1;
    static final int PRE_ABSENT = 2;
    static final int PRE_PRESENT = 3;

    private KvCommandCodec() {
    }

    static int preconditionTag(Precondition p) {
        if (p instanceof Precondition.None) {
            return PRE_NONE;
        } else if (p instanceof Precondition.Revision) {
            return PRE_REVISION;
        } else if (p instanceof Precondition.Absent) {
            return PRE_ABSENT;
        } else if (p instanceof Precondition.Present) {
            return PRE_PRESENT;
        }
        throw new AssertionError(p);
    }

    static byte[] encode(KvCommand cmd) {
        byte[] key = Utf8.encode(cmd.key());
        byte[] contentType = null;
        byte[] value = null;
        if (cmd instanceof KvCommand.Put put) {
            value = put.value();
            contentType = put.contentType() == null ? null : Utf8.encode(put.contentType());
        }
        byte[] idem = cmd.idempotencyKey() == null ? null : Utf8.encode(cmd.idempotencyKey());
        long revision = cmd.precondition() instanceof Precondition.Revision r ? r.revision() : 0;
        long proposedAt = zigzag(cmd.proposedAtMillis());

        int size = 2 + varintSize(key.length) + key.length;
        if (value != null) {
            size += varintSize(value.length) + value.length + optSize(contentType);
        }
        size += 1 + (cmd.precondition() instanceof Precondition.Revision ? varintSize(revision) : 0);
        size += optSize(idem) + varintSize(proposedAt);

        Writer w = new Writer(new byte[size]);
        w.u8(KvCommand.FORMAT_VERSION);
        w.u8(value != null ? KIND_PUT : KIND_DELETE);
        w.bytes(key);
        if (value != null) {
            w.bytes(value);
            w.optBytes(contentType);
        }
        int tag = preconditionTag(cmd.precondition());
        w.u8(tag);
        if (tag == PRE_REVISION) {
            w.varint(revision);
        }
        w.optBytes(idem);
        w.varint(proposedAt);
        if (w.pos != size) {
            throw new AssertionError("encoded " + w.pos + " bytes, sized " + size);
        }
        return w.buf;
    }

    static KvCommand decode(byte[] data) {
        if (data == null || data.length == 0) {
            throw new IllegalArgumentException("not a KvCommand: no data");
        }
        if (data[0] != KvCommand.FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported KvCommand format version " + (data[0] & 0xFF)
                    + " (this node understands version " + KvCommand.FORMAT_VERSION + ")");
        }
        Reader r = new Reader(data, 1);
        int kind = r.u8("kind");
        if (kind != KIND_PUT && kind != KIND_DELETE) {
            throw new IllegalArgumentException("not a KvCommand: unknown kind " + kind);
        }
        String key = r.string("key");
        byte[] value = null;
        String contentType = null;
        if (kind == KIND_PUT) {
            value = r.bytes("value");
            contentType = r.optString("contentType");
        }
        int tag = r.u8("precondition");
        Precondition precondition = switch (tag) {
            case PRE_NONE -> Precondition.NONE;
            case PRE_REVISION -> {
                long rev = r.varint("precondition revision");
                if (rev < 0) {
                    throw new IllegalArgumentException("corrupt KvCommand: negative precondition revision");
                }
                yield new Precondition.Revision(rev);
            }
            case PRE_ABSENT -> Precondition.ABSENT;
            case PRE_PRESENT -> Precondition.PRESENT;
            default -> throw new IllegalArgumentException("corrupt KvCommand: unknown precondition " + tag);
        };
        String idem = r.optString("idempotencyKey");
        long proposedAt = unzigzag(r.varint("proposedAtMillis"));
        if (r.pos != data.length) {
            throw new IllegalArgumentException("corrupt KvCommand: " + (data.length - r.pos)
                    + " unexpected bytes after the last field");
        }
        try {
            return kind == KIND_PUT
                    ? new KvCommand.Put(key, value, contentType, precondition, idem, proposedAt)
                    : new KvCommand.Delete(key, precondition, idem, proposedAt);
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new IllegalArgumentException("corrupt KvCommand: " + e.getMessage(), e);
        }
    }

    static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    private static int optSize(byte[] b) {
        return b == null ? 1 : varintSize(b.length + 1L) + b.length;
    }

    private static final class Writer {
        final byte[] buf;
        int pos;

        Writer(byte[] buf) {
            this.buf = buf;
        }

        void u8(int v) {
            buf[pos++] = (byte) v;
        }

        void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void bytes(byte[] b) {
            varint(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        void optBytes(byte[] b) {
            if (b == null) {
                varint(0);
            } else {
                varint(b.length + 1L);
                System.arraycopy(b, 0, buf, pos, b.length);
                pos += b.length;
            }
        }
    }

    private static final class Reader {
        final byte[] buf;
        int pos;

        Reader(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        private IllegalArgumentException truncated(String field) {
            return new IllegalArgumentException("corrupt KvCommand: truncated in " + field + " at byte " + pos
                    + " of " + buf.length);
        }

        int u8(String field) {
            if (pos >= buf.length) {
                throw truncated(field);
            }
            return buf[pos++] & 0xFF;
        }

        long varint(String field) {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = u8(field);
                if (shift == 63 && (b & 0xFE) != 0) {
                    break; // the tenth byte may only carry the top bit
                }
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("corrupt KvCommand: varint too long in " + field);
        }

        private int length(String field, long raw) {
            if (raw > buf.length - pos) {
                throw new IllegalArgumentException("corrupt KvCommand: " + field + " length " + raw
                        + " exceeds the " + (buf.length - pos) + " bytes left");
            }
            return (int) raw;
        }

        byte[] bytes(String field) {
            long raw = varint(field);
            if (raw < 0) {
                throw new IllegalArgumentException("corrupt KvCommand: negative " + field + " length");
            }
            int len = length(field, raw);
            byte[] b = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return b;
        }

        String string(String field) {
            long raw = varint(field);
            if (raw < 0) {
                throw new IllegalArgumentException("corrupt KvCommand: negative " + field + " length");
            }
            return utf8(field, length(field, raw));
        }

        String optString(String field) {
            long raw = varint(field);
            if (raw == 0) {
                return null;
            }
            if (raw < 0) {
                throw new IllegalArgumentException("corrupt KvCommand: negative " + field + " length");
            }
            return utf8(field, length(field, raw - 1));
        }

        private String utf8(String field, int len) {
            try {
                String s = Utf8.decode(buf, pos, len);
                pos += len;
                return s;
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("corrupt KvCommand: " + field + " is not valid UTF-8", e);
            }
        }
    }
}
