package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvCommandTest {

    private static final List<Precondition> PRECONDITIONS = List.of(
            Precondition.NONE, Precondition.ABSENT, Precondition.PRESENT,
            new Precondition.Revision(0), new Precondition.Revision(1), new Precondition.Revision(Long.MAX_VALUE));

    static Stream<KvCommand> everyVariant() {
        List<KvCommand> all = new ArrayList<>();
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(big);
        List<byte[]> values = List.of(new byte[0], "hello".getBytes(StandardCharsets.UTF_8), big);
        List<String> keys = List.of("k", "a/b/c", "with space", "ключ/😀/ü", "x".repeat(70_000));
        List<Long> times = List.of(0L, 1_700_000_000_000L, -1L, Long.MIN_VALUE, Long.MAX_VALUE);
        int i = 0;
        for (Precondition p : PRECONDITIONS) {
            for (String idem : Arrays.asList(null, "", "idem-1", "ïdém 🔑")) {
                String key = keys.get(i % keys.size());
                long t = times.get(i % times.size());
                String contentType = i % 3 == 0 ? null : (i % 3 == 1 ? "" : "application/json; charset=utf-8");
                all.add(new KvCommand.Put(key, values.get(i % values.size()), contentType, p, idem, t));
                all.add(new KvCommand.Delete(key, p, idem, t));
                i++;
            }
        }
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("everyVariant")
    void roundTripsEveryVariant(KvCommand cmd) {
        byte[] data = cmd.encode();
        assertThat(data[0]).isEqualTo(KvCommand.FORMAT_VERSION);
        KvCommand back = KvCommand.decode(data);
        assertThat(back).isEqualTo(cmd).hasSameHashCodeAs(cmd);
        assertThat(back.encode()).isEqualTo(data);
    }

    @Test
    void encodingIsCompact() {
        KvCommand put = new KvCommand.Put("user/42", "v".getBytes(StandardCharsets.UTF_8), null,
                Precondition.NONE, null, 1_700_000_000_000L);
        // version, kind, key (1+7), value (1+1), contentType, precondition, idempotency key, time (6)
        assertThat(put.encode()).hasSize(2 + 8 + 2 + 1 + 1 + 1 + 6);
        assertThat(new KvCommand.Delete("k", Precondition.revision(300), null, 0).encode()).hasSize(2 + 2 + 1 + 2 + 1 + 1);
    }

    @Test
    void putEqualityComparesValueBytes() {
        KvCommand a = new KvCommand.Put("k", new byte[] {1, 2}, null, null, null, 5);
        KvCommand b = new KvCommand.Put("k", new byte[] {1, 2}, null, Precondition.NONE, null, 5);
        KvCommand c = new KvCommand.Put("k", new byte[] {1, 3}, null, null, null, 5);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
        assertThat(a.toString()).contains("2B");
    }

    @Test
    void nullPreconditionMeansNone() {
        assertThat(new KvCommand.Delete("k", null, null, 0).precondition()).isEqualTo(Precondition.NONE);
    }

    @Test
    void constructorsRefuseWhatCannotBeReplicated() {
        assertThatThrownBy(() -> new KvCommand.Put(null, new byte[0], null, null, null, 0))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new KvCommand.Put("k", null, null, null, null, 0))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new KvCommand.Delete("", null, null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> new KvCommand.Put("bad\uD800", new byte[0], null, null, null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key").hasMessageContaining("surrogate");
        assertThatThrownBy(() -> new KvCommand.Put("k", new byte[0], "\uDC00", null, null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("contentType");
        assertThatThrownBy(() -> new KvCommand.Delete("k", null, "x\uD83D", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idempotencyKey");
        assertThatThrownBy(() -> Precondition.revision(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsEmptyAndUnknownVersion() {
        assertThatThrownBy(() -> KvCommand.decode(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no data");
        assertThatThrownBy(() -> KvCommand.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no data");
        byte[] data = new KvCommand.Delete("k", null, null, 0).encode();
        data[0] = 2;
        assertThatThrownBy(() -> KvCommand.decode(data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported KvCommand format version 2");
        data[0] = (byte) 0xFF;
        assertThatThrownBy(() -> KvCommand.decode(data)).hasMessageContaining("version 255");
    }

    @Test
    void rejectsUnknownKindAndPrecondition() {
        byte[] data = new KvCommand.Delete("k", null, null, 0).encode();
        byte[] badKind = data.clone();
        badKind[1] = 9;
        assertThatThrownBy(() -> KvCommand.decode(badKind)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown kind 9");
        byte[] badPre = data.clone();
        badPre[4] = 7; // version, kind, len, 'k', precondition
        assertThatThrownBy(() -> KvCommand.decode(badPre)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown precondition 7");
    }

    @Test
    void rejectsEveryTruncationAndTrailingBytes() {
        for (KvCommand cmd : everyVariant().filter(c -> c.encode().length < 200).toList()) {
            byte[] data = cmd.encode();
            for (int len = 1; len < data.length; len++) {
                byte[] cut = Arrays.copyOf(data, len);
                assertThatThrownBy(() -> KvCommand.decode(cut)).as("%s cut to %d bytes", cmd, len)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("corrupt KvCommand");
            }
            byte[] longer = Arrays.copyOf(data, data.length + 1);
            assertThatThrownBy(() -> KvCommand.decode(longer)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1 unexpected bytes");
        }
    }

    @Test
    void rejectsMalformedUtf8AndAbsurdLengths() {
        // version 1, Delete, key of 2 bytes 0xC3 0x28 (an invalid sequence), precondition None, no idem, time 0
        byte[] badUtf8 = {1, 2, 2, (byte) 0xC3, 0x28, 0, 0, 0};
        assertThatThrownBy(() -> KvCommand.decode(badUtf8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key is not valid UTF-8");
        // an encoded lone surrogate (CESU style) is not UTF-8 either
        byte[] surrogate = {1, 2, 3, (byte) 0xED, (byte) 0xA0, (byte) 0x80, 0, 0, 0};
        assertThatThrownBy(() -> KvCommand.decode(surrogate)).hasMessageContaining("not valid UTF-8");
        byte[] hugeLength = {1, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 'k'};
        assertThatThrownBy(() -> KvCommand.decode(hugeLength)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key length 2147483647 exceeds");
        byte[] endlessVarint = new byte[16];
        Arrays.fill(endlessVarint, (byte) 0x80);
        endlessVarint[0] = 1;
        endlessVarint[1] = 2;
        assertThatThrownBy(() -> KvCommand.decode(endlessVarint)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("varint too long");
        byte[] emptyKey = {1, 2, 0, 0, 0, 0};
        assertThatThrownBy(() -> KvCommand.decode(emptyKey)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("corrupt KvCommand: key must not be empty");
    }

    @Test
    void randomGarbageIsRejectedWithIllegalArgumentOnly() {
        Random random = new Random(42);
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] garbage = new byte[random.nextInt(40)];
            random.nextBytes(garbage);
            if (garbage.length > 0 && random.nextBoolean()) {
                garbage[0] = KvCommand.FORMAT_VERSION;
            }
            try {
                KvCommand cmd = KvCommand.decode(garbage);
                assertThat(KvCommand.decode(cmd.encode())).isEqualTo(cmd);
                decoded++;
            } catch (IllegalArgumentException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
        assertThat(decoded).isLessThan(20_000);
    }
}
