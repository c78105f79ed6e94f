package io.raftkv.web;

import io.raftkv.kv.KeyValue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * A value in JSON: as text when its content type is textual and it is valid UTF-8, else as base64.
 * Exactly one of the two is set.
 */
record ValueText(String text, String base64) {

    static ValueText of(KeyValue kv) {
        if (isTextual(kv.contentType())) {
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(kv.value())).toString();
                return new ValueText(s, null);
            } catch (CharacterCodingException e) {
                // declared textual but not UTF-8: base64 keeps it exact
            }
        }
        return new ValueText(null, Base64.getEncoder().encodeToString(kv.value()));
    }

    static boolean isTextual(String contentType) {
        if (contentType == null) {
            return false;
        }
        String ct = contentType.toLowerCase(Locale.ROOT);
        return ct.startsWith("text/") || ct.startsWith("application/json") || ct.contains("+json")
                || ct.startsWith("application/x-ndjson") || ct.startsWith("application/yaml")
                || ct.startsWith("application/xml") || ct.contains("+xml");
    }
}
