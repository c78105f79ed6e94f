package io.raftkv.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key is the raw path after {@code /kv/}, byte for byte; whatever is not a key is a 4xx with its own slug. */
class KeyPathTest {
    private static String key(String rawUri) {
        return KeyPath.key(rawUri, "", 16);
    }

    private static void refused(String rawUri, String slug, String detail) {
        assertThatThrownBy(() -> key(rawUri)).isInstanceOfSatisfying(BadRequestException.class, e -> {
            assertThat(e.status().value()).isEqualTo(400);
            assertThat(e.slug()).isEqualTo(slug);
            assertThat(e.getMessage()).contains(detail);
        });
    }

    @Test
    void slashesAndEscapesArePartOfTheKeyAndPlusStaysPlus() {
        assertThat(key("/kv/a/b")).isEqualTo("a/b");
        assertThat(key("/kv/a%2Fb")).as("an escaped slash is a slash").isEqualTo("a/b");
        assertThat(key("/kv/a+b%20c")).isEqualTo("a+b c");
        assertThat(key("/kv/%C3%BC")).isEqualTo("ü");
        assertThat(KeyPath.key("/app/kv/x", "/app", 16)).as("after the context path").isEqualTo("x");
    }

    @Test
    void badKeysAreRefusedWithTheReason() {
        refused("/kv/", "bad-key", "must not be empty");
        refused("/kv/a%4", "bad-key", "truncated percent-escape");
        refused("/kv/a%zz", "bad-key", "invalid percent-escape '%zz'");
        refused("/kv/%C3%28", "bad-key", "not valid UTF-8");
        refused("/kv/%ED%A0%80", "bad-key", "not valid UTF-8"); // an encoded lone surrogate
        refused("/other/x", "bad-key", "under /kv/");
    }

    @Test
    void theSizeLimitCountsBytesNotCharacters() {
        assertThat(key("/kv/" + "a".repeat(16))).hasSize(16);
        refused("/kv/" + "a".repeat(17), "key-too-long", "17 bytes; at most 16");
        refused("/kv/" + "%C3%BC".repeat(9), "key-too-long", "18 bytes");
    }

    @Test
    void encodeIsTheInverseOfDecoding() {
        String key = "dir/a b+c%ü?#&=";
        assertThat(KeyPath.encode(key)).isEqualTo("dir/a%20b%2Bc%25%C3%BC%3F%23%26%3D");
        assertThat(KeyPath.key("/kv/" + KeyPath.encode(key), "", 64)).isEqualTo(key);
    }
}
