package io.raftkv.web;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the raw request path after {@code /kv/} into the key, byte for byte: percent-escapes are
 * decoded ({@code +} stays {@code +}), slashes are part of the key, and the result must be valid
 * UTF-8 of at most the configured size.
 */
final class KeyPath {
    static final String PREFIX = "/kv/";

    private KeyPath() {
    }

    static String key(String rawRequestUri, String contextPath, long maxKeyBytes) {
        String path = rawRequestUri.substring(contextPath.length());
        if (!path.startsWith(PREFIX)) {
            throw BadRequestException.badRequest("bad-key", "keys live under /kv/");
        }
        byte[] bytes = percentDecode(path.substring(PREFIX.length()));
        if (bytes.length == 0) {
            throw BadRequestException.badRequest("bad-key", "the key must not be empty: use /kv/{key}");
        }
        if (bytes.length > maxKeyBytes) {
            throw BadRequestException.badRequest("key-too-long",
                    "the key is " + bytes.length + " bytes; at most " + maxKeyBytes + " bytes are allowed");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw BadRequestException.badRequest("bad-key", "the key is not valid UTF-8");
        }
    }

    /** Encodes a key for a URL path: everything but unreserved characters and '/' is escaped. */
    static String encode(String key) {
        StringBuilder sb = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~/".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    private static byte[] percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw BadRequestException.badRequest("bad-key", "the key has a truncated percent-escape");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw BadRequestException.badRequest("bad-key", "the key has an invalid percent-escape '%"
                            + s.charAt(i + 1) + s.charAt(i + 2) + "'");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                byte[] raw = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(raw, 0, raw.length);
            }
        }
        return out.toByteArray();
    }
}
