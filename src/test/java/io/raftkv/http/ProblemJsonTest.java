package io.raftkv.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProblemJsonTest {

    @Test
    void inputEchoedInADetailCannotBreakOutOfTheJsonOrIntoHtml() {
        String json = ProblemJson.of(400, "bad-http-request", "target [/kv/\"},\u0000<script>\\]");
        assertThat(json).isEqualTo("{\"type\":\"https://raftkv.io/problems/bad-http-request\",\"title\":\"Bad Request\","
                + "\"status\":400,\"detail\":\"target [/kv/\\\"},\\u0000\\u003cscript\\u003e\\\\]\"}");
    }

    @Test
    void aLongDetailIsCut() {
        assertThat(ProblemJson.of(400, "x", "a".repeat(10_000))).hasSizeLessThan(700);
    }
}
