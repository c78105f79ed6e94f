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
import io.raftkv.raft.Peer;
import io.raftkv.raft.RequestVote;
import io.raftkv.raft.RequestVoteResponse;
import io.raftkv.raft.Snapshot;
import io.raftkv.raft.SnapshotMetadata;
import io.raftkv.raft.TimeoutNow;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The peer wire format on its own: what one node encodes, another decodes to the same message, and
 * a body no node would send is refused with an IllegalArgumentException (the peer servlet's 400)
 * without allocating more than the body itself.
 */
class MessageCodecTest {
    private static final long BIG = Long.MAX_VALUE;
    private static final String UNICODE = "nœud-ü-節点-😀";

    private static byte[] data(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    /** One of every message the codec carries, with the edge values of each field. */
    private static List<Message> everyKind() {
        List<Entry> everyType = Arrays.stream(EntryType.values())
                .map(t -> new Entry(BIG - 3 + t.ordinal(), BIG, t, data(t.ordinal() * 7))).toList();
        return List.of(
                new RequestVote("n1", "n2", 1, 0, 0, false, false),
                new RequestVote(UNICODE, "n2", BIG, BIG, BIG, true, true),
                new RequestVoteResponse("n2", UNICODE, BIG, true, true),
                new RequestVoteResponse("n2", "n1", 0, false, false),
                new AppendEntries("n1", "n2", 3, 0, 0, List.of(), 0),
                new AppendEntries("n1", "n2", BIG, BIG - 4, BIG, everyType, BIG),
                new AppendEntries("n1", "n2", 7, 9, 6, List.of(Entry.command(10, 7, new byte[0]),
                        Entry.command(11, 7, data(1 << 20))), 9),
                AppendEntriesResponse.accept("n2", "n1", 5, BIG),
                new AppendEntriesResponse("n2", "n1", 5, false, 40, 12, 3),
                new Heartbeat("n1", "n2", BIG, BIG, BIG),
                new Heartbeat("n1", "n2", 1, 0, 0),
                new HeartbeatResponse("n2", "n1", BIG, BIG),
                new TimeoutNow("n1", UNICODE, BIG));
    }

    private static byte[] encode(Message... messages) {
        return MessageCodec.encode(List.of(messages));
    }

    @Test
    void everyMessageKindSurvivesTheRoundTrip() {
        for (Message m : everyKind()) {
            assertThat(MessageCodec.decode(encode(m))).as("%s", m).containsExactly(m);
        }
        assertThat(MessageCodec.decode(MessageCodec.encode(everyKind()))).containsExactlyElementsOf(everyKind());
        assertThat(MessageCodec.decode(MessageCodec.encode(List.of()))).isEmpty();
    }

    @Test
    void theComputedSizeIsTheEncodedSize() {
        // The sender bounds its batches, and so the receiver's body limit, by this computation.
        for (Message m : everyKind()) {
            assertThat(MessageCodec.encodedSize(m)).as("%s", m)
                    .isEqualTo(encode(m).length - MessageCodec.BATCH_HEADER_BYTES);
        }
    }

    @Test
    void aSnapshotNeverTravelsAsAMessage() {
        // Snapshots stream in chunks over /raft/snapshot (PeerTransport.ship, SnapshotInbox): a
        // whole one in a batch would blow the body limit, so the codec has no encoding for it.
        Membership one = new Membership(List.of(new Peer("n1", "http://a")));
        InstallSnapshot s = new InstallSnapshot("n1", "n2", 2, new Snapshot(new SnapshotMetadata(5, 2, one), data(10)));
        assertThatThrownBy(() -> encode(s)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageCodec.encodedSize(s)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- malformed bodies

    @Test
    void everyTruncationIsRefused() {
        byte[] whole = encode(new RequestVote("n1", "n2", 4, 9, 3, true, false),
                new AppendEntries("n1", "n2", 4, 1, 1, List.of(Entry.command(2, 4, data(5)), Entry.noop(3, 4)), 1),
                new TimeoutNow("n1", "n2", 4));
        for (int len = 0; len < whole.length; len++) {
            byte[] cut = Arrays.copyOf(whole, len);
            assertThatThrownBy(() -> MessageCodec.decode(cut)).as("first %d of %d bytes", len, whole.length)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void trailingBytesAreRefused() {
        byte[] whole = encode(new Heartbeat("n1", "n2", 1, 0, 0));
        assertThatThrownBy(() -> MessageCodec.decode(Arrays.copyOf(whole, whole.length + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trailing");
    }

    @Test
    void anUnknownVersionOrTypeTagIsRefused() {
        byte[] hb = encode(new Heartbeat("n1", "n2", 1, 0, 0));
        byte[] version = hb.clone();
        version[0] = 2;
        assertThatThrownBy(() -> MessageCodec.decode(version)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version 2");
        // 7 was InstallSnapshot's tag: no node sends it any more, so no node accepts it.
        for (int tag : new int[] {0, 7, 9, 255}) {
            byte[] b = hb.clone();
            b[MessageCodec.BATCH_HEADER_BYTES] = (byte) tag;
            assertThatThrownBy(() -> MessageCodec.decode(b)).as("tag %d", tag)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown peer message type " + tag);
        }
    }

    @Test
    void anUnknownEntryTypeIsRefused() throws IOException {
        byte[] b = appendWithOneEntry(EntryType.values().length, 0, new byte[0]);
        assertThatThrownBy(() -> MessageCodec.decode(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown entry type");
    }

    @Test
    void aBooleanIsZeroOrOne() {
        // Anything else is no encoding a node produces: accepting it would let two bodies mean one message.
        byte[] b = encode(new RequestVoteResponse("n2", "n1", 1, true, false));
        b[b.length - 2] = 2;
        assertThatThrownBy(() -> MessageCodec.decode(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("boolean");
    }

    @Test
    void anIdThatIsNotUtf8IsRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(MessageCodec.VERSION);
        out.writeInt(1);
        out.writeByte(8); // TimeoutNow
        out.writeInt(2);
        out.write(new byte[] {(byte) 0xC3, (byte) 0x28}); // a lead byte followed by no continuation byte
        writeString(out, "n2");
        out.writeLong(1);
        assertThatThrownBy(() -> MessageCodec.decode(bytes.toByteArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8");
    }

    @Test
    void absurdCountsAndLengthsAreRefusedWithoutAllocatingThem() throws IOException {
        // The peer servlet bounds the body; within that bound a count or length field may still claim
        // far more than the body holds, and must be refused before anything that size is allocated.
        int padding = 4 << 20;
        byte[] manyMessages = withPadding(header(padding), padding);
        byte[] manyEntries = withPadding(appendHeader(padding), padding);
        byte[] hugeData = withPadding(appendWithOneEntry(0, padding + 1, null), padding);
        byte[] hugeId = withPadding(stringClaiming(padding), padding);
        for (byte[] body : List.of(manyMessages, manyEntries, hugeData, hugeId)) {
            long before = allocatedBytes();
            assertThatThrownBy(() -> MessageCodec.decode(body)).isInstanceOf(IllegalArgumentException.class);
            assertThat(allocatedBytes() - before).as("bytes allocated decoding a %d-byte body", body.length)
                    .isLessThan(256 * 1024);
        }
        for (int count : new int[] {-1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> MessageCodec.decode(header(count))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MessageCodec.decode(appendHeader(count))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MessageCodec.decode(appendWithOneEntry(0, count, null))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MessageCodec.decode(stringClaiming(count))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---------------------------------------------------------------- hand-built bodies

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static byte[] withPadding(byte[] prefix, int padding) {
        return Arrays.copyOf(prefix, prefix.length + padding);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /** A batch header claiming {@code count} messages. */
    private static byte[] header(int count) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(MessageCodec.VERSION);
        out.writeInt(count);
        return bytes.toByteArray();
    }

    /** One TimeoutNow whose sender id claims {@code length} bytes. */
    private static byte[] stringClaiming(int length) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(header(1));
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(8);
        out.writeInt(length);
        return bytes.toByteArray();
    }

    /** One AppendEntries, up to its entry count, which claims {@code entries}. */
    private static byte[] appendHeader(int entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(header(1));
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(3);
        writeString(out, "n1");
        writeString(out, "n2");
        out.writeLong(1);
        out.writeLong(0);
        out.writeLong(0);
        out.writeLong(0);
        out.writeInt(entries);
        return bytes.toByteArray();
    }

    /** An AppendEntries with one entry of type {@code type} whose data claims {@code length} bytes; {@code data} follows if given. */
    private static byte[] appendWithOneEntry(int type, int length, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(appendHeader(1));
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(1);
        out.writeLong(1);
        out.writeByte(type);
        out.writeInt(length);
        if (data != null) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
