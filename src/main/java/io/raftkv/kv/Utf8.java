package io.raftkv.kv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * UTF-8 helpers shared by the command codec, the snapshot codec and the key ordering.
 *
 * <p>Keys must survive a round trip through UTF-8 unchanged on every replica, so strings that
 * cannot (an unpaired surrogate would silently become {@code '?'}) are refused up front.
 */
final class Utf8 {
    private Utf8() {
    }

    /**
     * Orders strings by Unicode code point, which for well-formed strings is the same as comparing
     * their UTF-8 bytes (the order etcd and a client sorting raw bytes use). {@link String#compareTo}
     * compares UTF-16 units instead and puts supplementary characters (emoji) before U+E000..U+FFFF.
     */
    static final Comparator<String> CODE_POINT_ORDER = Utf8::compareCodePoints;

    static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                if (x >= 0xD800 && y >= 0xD800) {
                    // Move surrogates (D800..DFFF) above E000..FFFF, as ICU's code point order does.
                    x = fixup(x);
                    y = fixup(y);
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    private static char fixup(char c) {
        return (char) (c >= 0xE000 ? c - 0x800 : c + 0x2000);
    }

    /** Whether every surrogate in {@code s} is part of a proper pair, i.e. it encodes to UTF-8 losslessly. */
    static boolean isWellFormed(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    static String requireWellFormed(String s, String what) {
        if (!isWellFormed(s)) {
            throw new IllegalArgumentException(what + " is not valid Unicode (it has an unpaired surrogate)");
        }
        return s;
    }

    /** The number of bytes {@code s} takes in UTF-8, without encoding it. {@code s} must be well-formed. */
    static int encodedLength(String s) {
        int n = s.length();
        long bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c)) {
                    bytes += 2; // 2 chars -> 4 bytes
                    i++;
                } else {
                    bytes += 2;
                }
            }
        }
        return Math.toIntExact(bytes);
    }

    static byte[] encode(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Strict decoding: malformed UTF-8 is an error, never replaced with U+FFFD. */
    static String decode(byte[] b, int off, int len) throws CharacterCodingException {
        boolean ascii = true;
        for (int i = off, end = off + len; i < end; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.US_ASCII);
        }
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b, off, len))
                .toString();
    }
}
