package io.raftkv.node;

import io.raftkv.raft.AppendEntries;
import io.raftkv.raft.AppendEntriesResponse;
import io.raftkv.raft.Entry;
import io.raftkv.raft.EntryType;
import io.raftkv.raft.Heartbeat;
import io.raftkv.raft.HeartbeatResponse;
import io.raftkv.raft.InstallSnapshot;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.RequestVote;
import io.raftkv.raft.RequestVoteResponse;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.TimeoutNow;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary wire format of Raft messages between peers: a format version, a count, then each
 * message as a type tag and its fields. Lengths are checked against what is left, so a corrupt or
 * hostile body fails with an exception instead of allocating gigabytes.
 */
public final class MessageCodec {
    static final int VERSION = 1;
    private static final int MAX_STRING = 4096;

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

    /** Bytes {@link #encode} takes for one message, without the 5-byte batch header; computed, not encoded. */
    public static long encodedSize(Message m) {
        long size = 1 + 4 + utf8Length(m.from()) + 4 + utf8Length(m.to()) + 8;
        if (m instanceof RequestVote) {
            return size + 18;
        } else if (m instanceof RequestVoteResponse) {
            return size + 2;
        } else if (m instanceof AppendEntries a) {
            size += 28;
            for (Entry e : a.entries()) {
                size += 21 + e.data().length;
            }
            return size;
        } else if (m instanceof AppendEntriesResponse) {
            return size + 25;
        } else if (m instanceof Heartbeat) {
            return size + 16;
        } else if (m instanceof HeartbeatResponse) {
            return size + 8;
        } else if (m instanceof InstallSnapshot s) {
            return size + 20 + s.snapshot().metadata().membership().encode().length + s.snapshot().data().length;
        }
        return size;
    }

    /** The batch header {@link #encode} writes before the messages: version and count. */
    public static final int BATCH_HEADER_BYTES = 5;

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    public static List<Message> decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown peer message format version " + version);
            }
            int n = in.readInt();
            if (n < 0 || n > data.length) {
                throw new IllegalArgumentException("corrupt message count " + n);
            }
            List<Message> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(read(in, data.length));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException(in.available() + " trailing bytes after " + n + " messages");
            }
            return out;
        } catch (EOFException e) {
            throw new IllegalArgumentException("truncated peer message", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(DataOutputStream out, Message m) throws IOException {
        if (m instanceof RequestVote v) {
            header(out, 1, m);
            out.writeLong(v.lastLogIndex());
            out.writeLong(v.lastLogTerm());
            out.writeBoolean(v.preVote());
            out.writeBoolean(v.transfer());
        } else if (m instanceof RequestVoteResponse r) {
            header(out, 2, m);
            out.writeBoolean(r.granted());
            out.writeBoolean(r.preVote());
        } else if (m instanceof AppendEntries a) {
            header(out, 3, m);
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
            header(out, 4, m);
            out.writeBoolean(r.success());
            out.writeLong(r.index());
            out.writeLong(r.hintIndex());
            out.writeLong(r.hintTerm());
        } else if (m instanceof Heartbeat h) {
            header(out, 5, m);
            out.writeLong(h.commit());
            out.writeLong(h.readRound());
        } else if (m instanceof HeartbeatResponse h) {
            header(out, 6, m);
            out.writeLong(h.readRound());
        } else if (m instanceof InstallSnapshot s) {
            header(out, 7, m);
            metadata(out, s.snapshot().metadata());
            bytes(out, s.snapshot().data());
        } else if (m instanceof TimeoutNow) {
            header(out, 8, m);
        } else {
            throw new IllegalArgumentException("cannot encode " + m);
        }
    }

    private static Message read(DataInputStream in, int limit) throws IOException {
        int type = in.readUnsignedByte();
        String from = string(in);
        String to = string(in);
        long term = in.readLong();
        return switch (type) {
            case 1 -> new RequestVote(from, to, term, in.readLong(), in.readLong(), in.readBoolean(), in.readBoolean());
            case 2 -> new RequestVoteResponse(from, to, term, in.readBoolean(), in.readBoolean());
            case 3 -> {
                long prevIndex = in.readLong();
                long prevTerm = in.readLong();
                long commit = in.readLong();
                int n = in.readInt();
                if (n < 0 || n > limit) {
                    throw new IllegalArgumentException("corrupt entry count " + n);
                }
                List<Entry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    long index = in.readLong();
                    long t = in.readLong();
                    int kind = in.readUnsignedByte();
                    if (kind >= EntryType.values().length) {
                        throw new IllegalArgumentException("unknown entry type " + kind);
                    }
                    entries.add(new Entry(index, t, EntryType.values()[kind], bytes(in, limit)));
                }
                yield new AppendEntries(from, to, term, prevIndex, prevTerm, entries, commit);
            }
            case 4 -> new AppendEntriesResponse(from, to, term, in.readBoolean(), in.readLong(), in.readLong(), in.readLong());
            case 5 -> new Heartbeat(from, to, term, in.readLong(), in.readLong());
            case 6 -> new HeartbeatResponse(from, to, term, in.readLong());
            case 7 -> new InstallSnapshot(from, to, term, new Snapshot(metadata(in, limit), bytes(in, limit)));
            case 8 -> new TimeoutNow(from, to, term);
            default -> throw new IllegalArgumentException("unknown peer message type " + type);
        };
    }

    private static void header(DataOutputStream out, int type, Message m) throws IOException {
        out.writeByte(type);
        string(out, m.from());
        string(out, m.to());
        out.writeLong(m.term());
    }

    static void metadata(DataOutputStream out, SnapshotMetadata meta) throws IOException {
        out.writeLong(meta.index());
        out.writeLong(meta.term());
        bytes(out, meta.membership().encode());
    }

    static SnapshotMetadata metadata(DataInputStream in, int limit) throws IOException {
        long index = in.readLong();
        long term = in.readLong();
        return new SnapshotMetadata(index, term, Membership.decode(bytes(in, limit)));
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in, int limit) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new IllegalArgumentException("corrupt length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String string(DataInputStream in) throws IOException {
        return new String(bytes(in, MAX_STRING), StandardCharsets.UTF_8);
    }
}
