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
import io.raftkv.raft.ReadIndexRequest;
import io.raftkv.raft.ReadIndexResponse;
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
                new TimeoutNow("n1", UNICODE, BIG),
                new ReadIndexRequest("n2", "n1", BIG, BIG),
                new ReadIndexRequest(UNICODE, "n1", 1, 1),
                new ReadIndexResponse("n1", "n2", BIG, BIG, BIG),
                new ReadIndexResponse("n1", UNICODE, 3, 1, 0));
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
        for (int tag : new int[] {0, 7, 11, 255}) {
            byte[] b = hb.clone();
            b[MessageCodec.BATCH_HEADER_BYTES] = (byte) tag;
            assertThatThrownBy(() -> MessageCodec.decode(b)).as("tag %d", tag)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown peer message type " + tag);
        }
    }

    @Test
    void anUnknownEntryTypeIsRefused() throws IOException {
        byte[] b = appendWithOneEntry(EntryType.values().length, 0).bytes();
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
        // A TimeoutNow from an id holding a UTF-8 lead byte followed by no continuation byte.
        byte[] b = header(1).u8(8).i32(2).raw(new byte[] {(byte) 0xC3, (byte) 0x28}).string("n2").i64(1).bytes();
        assertThatThrownBy(() -> MessageCodec.decode(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8");
    }

    @Test
    void absurdCountsAndLengthsAreRefusedWithoutAllocatingThem() throws IOException {
        // The peer servlet bounds the body; within that bound a count or length field may still claim
        // far more than the body holds, and must be refused before anything that size is allocated.
        int padding = 4 << 20;
        byte[] manyMessages = withPadding(header(padding), padding);
        byte[] manyEntries = withPadding(appendHeader(padding), padding);
        byte[] hugeData = withPadding(appendWithOneEntry(0, padding + 1), padding);
        byte[] hugeId = withPadding(stringClaiming(padding), padding);
        // Loading and linking the codec's classes on a first decode is no allocation the body caused.
        MessageCodec.decode(MessageCodec.encode(everyKind()));
        assertThatThrownBy(() -> MessageCodec.decode(manyMessages)).isInstanceOf(IllegalArgumentException.class);
        for (byte[] body : List.of(manyMessages, manyEntries, hugeData, hugeId)) {
            long before = allocatedBytes();
            assertThatThrownBy(() -> MessageCodec.decode(body)).isInstanceOf(IllegalArgumentException.class);
            assertThat(allocatedBytes() - before).as("bytes allocated decoding a %d-byte body", body.length)
                    .isLessThan(256 * 1024);
        }
        for (int count : new int[] {-1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> MessageCodec.decode(header(count).bytes())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MessageCodec.decode(appendHeader(count).bytes())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MessageCodec.decode(appendWithOneEntry(0, count).bytes())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MessageCodec.decode(stringClaiming(count).bytes())).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---------------------------------------------------------------- hand-built bodies

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static byte[] withPadding(Body prefix, int padding) {
        byte[] b = prefix.bytes();
        return Arrays.copyOf(b, b.length + padding);
    }

    /** A body written field by field, big-endian as the codec writes it, so any field can lie. */
    private static final class Body {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        Body u8(int v) throws IOException {
            out.writeByte(v);
            return this;
        }

        Body i32(int v) throws IOException {
            out.writeInt(v);
            return this;
        }

        Body i64(long v) throws IOException {
            out.writeLong(v);
            return this;
        }

        Body raw(byte[] b) throws IOException {
            out.write(b);
            return this;
        }

        Body string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return i32(b.length).raw(b);
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    /** A batch header claiming {@code count} messages. */
    private static Body header(int count) throws IOException {
        return new Body().u8(MessageCodec.VERSION).i32(count);
    }

    /** One TimeoutNow whose sender id claims {@code length} bytes. */
    private static Body stringClaiming(int length) throws IOException {
        return header(1).u8(8).i32(length);
    }

    /** One AppendEntries, up to its entry count, which claims {@code entries}. */
    private static Body appendHeader(int entries) throws IOException {
        return header(1).u8(3).string("n1").string("n2").i64(1).i64(0).i64(0).i64(0).i32(entries);
    }

    /** An AppendEntries with one entry of type {@code type} whose data claims {@code length} bytes. */
    private static Body appendWithOneEntry(int type, int length) throws IOException {
        return appendHeader(1).i64(1).i64(1).u8(type).i32(length);
    }
}
