package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8Test {

    /** Random well-formed strings that mix ASCII, 2- and 3-byte characters, U+E000..U+FFFF and pairs. */
    static String randomString(Random random, int maxLength) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) {
            switch (random.nextInt(6)) {
                case 0 -> sb.append((char) ('a' + random.nextInt(3)));
                case 1 -> sb.append((char) (0x80 + random.nextInt(0x780)));
                case 2 -> sb.append((char) (0x800 + random.nextInt(0xD800 - 0x800)));
                case 3 -> sb.append((char) (0xE000 + random.nextInt(0x2000)));
                case 4 -> sb.append((char) (0xFFF0 + random.nextInt(0x10)));
                default -> sb.appendCodePoint(0x10000 + random.nextInt(0x100000));
            }
        }
        return sb.toString();
    }

    @Test
    void codePointOrderIsUtf8ByteOrder() {
        Random random = new Random(3);
        for (int i = 0; i < 50_000; i++) {
            String a = randomString(random, 4);
            String b = random.nextInt(4) == 0 ? a + randomString(random, 2) : randomString(random, 4);
            int expected = Integer.signum(ListTest.BYTE_ORDER.compare(a, b));
            assertThat(Integer.signum(Utf8.compareCodePoints(a, b))).as("%s vs %s", a, b).isEqualTo(expected);
            assertThat(Integer.signum(Utf8.compareCodePoints(b, a))).isEqualTo(-expected);
        }
    }

    @Test
    void encodedLengthMatchesTheJdk() {
        Random random = new Random(4);
        for (int i = 0; i < 10_000; i++) {
            String s = randomString(random, 10);
            assertThat(Utf8.encodedLength(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void wellFormedMeansEverySurrogateIsPaired() {
        assertThat(Utf8.isWellFormed("plain/ascii ü 😀")).isTrue();
        assertThat(Utf8.isWellFormed("\uD83D")).isFalse();
        assertThat(Utf8.isWellFormed("\uDE00\uD83D")).isFalse();
        assertThat(Utf8.isWellFormed("x\uD83Dy")).isFalse();
        assertThat(Utf8.isWellFormed("\uD83D\uDE00")).isTrue();
    }
}
