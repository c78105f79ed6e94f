package io.raftkv.node;

import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.AppendEntriesResponse;
import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.HeartbeatResponse;
import io.raftkv.raft.Message;
import io.raftkv.raft.ReadIndexRequest;
import io.raftkv.raft.ReadIndexResponse;
import io.raftkv.raft.RequestVote;
import io.raftkv.raft.RequestVoteResponse;
import io.raftkv.raft.TimeoutNow;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary wire format of Raft messages between peers: a format version, a count, then each
 * message as a type tag and its fields. Every count and length is checked against what is left of
 * the body before anything is allocated, so a corrupt or hostile body fails with an
 * IllegalArgumentException instead of allocating gigabytes.
 *
 * <p>InstallSnapshot has no encoding: snapshots stream in chunks over {@code /raft/snapshot}
 * ({@link PeerTransport}, {@link SnapshotInbox}), since a whole one would not fit a peer body.
 */
public final class MessageCodec {
    static final int VERSION = 1;
    /** The batch header {@link #encode} writes before the messages: version and count. */
    public static final int BATCH_HEADER_BYTES = 5;
    private static final int MAX_STRING = 4096;
    /** Type tag, two empty ids and the term: no message is shorter. */
    private static final int MESSAGE_HEADER_BYTES = 1 + 4 + 4 + 8;
    /** Index, term, type and data length: no entry is shorter. */
    private static final int ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;

    private static final int REQUEST_VOTE = 1;
    private static final int REQUEST_VOTE_RESPONSE = 2;
    private static final int APPEND_ENTRIES = 3;
    private static final int APPEND_ENTRIES_RESPONSE = 4;
    private static final int HEARTBEAT = 5;
    private static final int HEARTBEAT_RESPONSE = 6;
    // 7 was InstallSnapshot before snapshots moved to their own chunked path; never reuse it.
    private static final int TIMEOUT_NOW = 8;
    private static final int READ_INDEX = 9;
    private static final int READ_INDEX_RESPONSE = 10;

    private MessageCodec() {
    }

    public static byte[] encode(List<Message> messages) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeInt(messages.size());
            for (Message m : messages) {
                write(out, m);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes {@link #encode} takes for one message, without the batch header; computed, not encoded. */
    public static long encodedSize(Message m) {
        long size = MESSAGE_HEADER_BYTES + utf8Length(m.from()) + utf8Length(m.to());
        if (m instanceof RequestVote) {
            return size + 18;
        } else if (m instanceof RequestVoteResponse) {
            return size + 2;
        } else if (m instanceof AppendEntries a) {
            size += 28;
            for (Entry e : a.entries()) {
                size += ENTRY_HEADER_BYTES + e.data().length;
            }
            return size;
        } else if (m instanceof AppendEntriesResponse) {
            return size + 25;
        } else if (m instanceof Heartbeat) {
            return size + 16;
        } else if (m instanceof HeartbeatResponse) {
            return size + 8;
        } else if (m instanceof TimeoutNow) {
            return size;
        } else if (m instanceof ReadIndexRequest) {
            return size + 8;
        } else if (m instanceof ReadIndexResponse) {
            return size + 16;
        }
        throw cannotEncode(m);
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** @throws IllegalArgumentException when {@code data} is not a batch this codec would have encoded */
    public static List<Message> decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int version = Byte.toUnsignedInt(in.get());
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown peer message format version " + version);
            }
            int n = count(in, MESSAGE_HEADER_BYTES, "message count");
            List<Message> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(read(in));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes after " + n + " messages");
            }
            return out;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated peer message", e);
        }
    }

    private static void write(DataOutputStream out, Message m) throws IOException {
        if (m instanceof RequestVote v) {
            header(out, REQUEST_VOTE, m);
            out.writeLong(v.lastLogIndex());
            out.writeLong(v.lastLogTerm());
            out.writeBoolean(v.preVote());
            out.writeBoolean(v.transfer());
        } else if (m instanceof RequestVoteResponse r) {
            header(out, REQUEST_VOTE_RESPONSE, m);
            out.writeBoolean(r.granted());
            out.writeBoolean(r.preVote());
        } else if (m instanceof AppendEntries a) {
            header(out, APPEND_ENTRIES, m);
            out.writeLong(a.prevLogIndex());
            out.writeLong(a.prevLogTerm());
            out.writeLong(a.leaderCommit());
            out.writeInt(a.entries().size());
            for (Entry e : a.entries()) {
                out.writeLong(e.index());
                out.writeLong(e.term());
                out.writeByte(e.type().ordinal());
                bytes(out, e.data());
            }
        } else if (m instanceof AppendEntriesResponse r) {
            header(out, APPEND_ENTRIES_RESPONSE, m);
            out.writeBoolean(r.success());
            out.writeLong(r.index());
            out.writeLong(r.hintIndex());
            out.writeLong(r.hintTerm());
        } else if (m instanceof Heartbeat h) {
            header(out, HEARTBEAT, m);
            out.writeLong(h.commit());
            out.writeLong(h.readRound());
        } else if (m instanceof HeartbeatResponse h) {
            header(out, HEARTBEAT_RESPONSE, m);
            out.writeLong(h.readRound());
        } else if (m instanceof TimeoutNow) {
            header(out, TIMEOUT_NOW, m);
        } else if (m instanceof ReadIndexRequest r) {
            header(out, READ_INDEX, m);
            out.writeLong(r.requestId());
        } else if (m instanceof ReadIndexResponse r) {
            header(out, READ_INDEX_RESPONSE, m);
            out.writeLong(r.requestId());
            out.writeLong(r.index());
        } else {
            throw cannotEncode(m);
        }
    }

    private static IllegalArgumentException cannotEncode(Message m) {
        return new IllegalArgumentException("no peer message encoding for " + m.getClass().getSimpleName());
    }

    private static Message read(ByteBuffer in) {
        int type = Byte.toUnsignedInt(in.get());
        String from = string(in);
        String to = string(in);
        long term = in.getLong();
        return switch (type) {
            case REQUEST_VOTE -> new RequestVote(from, to, term, in.getLong(), in.getLong(), bool(in), bool(in));
            case REQUEST_VOTE_RESPONSE -> new RequestVoteResponse(from, to, term, bool(in), bool(in));
            case APPEND_ENTRIES -> {
                long prevIndex = in.getLong();
                long prevTerm = in.getLong();
                long commit = in.getLong();
                int n = count(in, ENTRY_HEADER_BYTES, "entry count");
                List<Entry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    long index = in.getLong();
                    long t = in.getLong();
                    int kind = Byte.toUnsignedInt(in.get());
                    if (kind >= EntryType.values().length) {
                        throw new IllegalArgumentException("unknown entry type " + kind);
                    }
                    entries.add(new Entry(index, t, EntryType.values()[kind], bytes(in, Integer.MAX_VALUE)));
                }
                yield new AppendEntries(from, to, term, prevIndex, prevTerm, entries, commit);
            }
            case APPEND_ENTRIES_RESPONSE -> new AppendEntriesResponse(from, to, term, bool(in), in.getLong(), in.getLong(), in.getLong());
            case HEARTBEAT -> new Heartbeat(from, to, term, in.getLong(), in.getLong());
            case HEARTBEAT_RESPONSE -> new HeartbeatResponse(from, to, term, in.getLong());
            case TIMEOUT_NOW -> new TimeoutNow(from, to, term);
            case READ_INDEX -> new ReadIndexRequest(from, to, term, in.getLong());
            case READ_INDEX_RESPONSE -> new ReadIndexResponse(from, to, term, in.getLong(), in.getLong());
            default -> throw new IllegalArgumentException("unknown peer message type " + type);
        };
    }

    /** A count of items of at least {@code minBytes} each, refused when the rest of the body cannot hold them. */
    private static int count(ByteBuffer in, int minBytes, String what) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining() / minBytes) {
            throw new IllegalArgumentException("corrupt " + what + " " + n + " with " + in.remaining() + " bytes left");
        }
        return n;
    }

    private static void header(DataOutputStream out, int type, Message m) throws IOException {
        out.writeByte(type);
        string(out, m.from());
        string(out, m.to());
        out.writeLong(m.term());
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(ByteBuffer in, int max) {
        int n = count(in, 1, "length");
        if (n > max) {
            throw new IllegalArgumentException("length " + n + " is over the limit of " + max);
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** Strict, unlike DataInputStream.readBoolean: a byte a node never writes is corruption, not "true". */
    private static boolean bool(ByteBuffer in) {
        byte b = in.get();
        if (b != 0 && b != 1) {
            throw new IllegalArgumentException("corrupt boolean " + b);
        }
        return b == 1;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String string(ByteBuffer in) {
        byte[] b = bytes(in, MAX_STRING);
        try {
            // Strict decoding: a lenient one would turn two different malformed ids into the same string.
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a peer id is not UTF-8", e);
        }
    }
}
