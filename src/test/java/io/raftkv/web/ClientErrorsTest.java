package io.raftkv.web;

import org.apache.tomcat.util.http.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.UncheckedIOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which exceptions are the client's fault: those become a 4xx, because a 500 would tell the client
 * that a write might have happened. Everything else stays a server error.
 */
class ClientErrorsTest {
    @Test
    void anUndecodableQueryIsTheClientsFaultWithTomcatsStatusWhenItIsA4xx() {
        assertThat(ClientErrors.classify(new InvalidParameterException("bad %", 400)))
                .hasValueSatisfying(e -> assertThat(e.slug()).isEqualTo("bad-query"));
        assertThat(ClientErrors.classify(new InvalidParameterException("too many", 413)))
                .hasValueSatisfying(e -> assertThat(e.status().value()).isEqualTo(413));
        assertThat(ClientErrors.classify(new InvalidParameterException("odd", 500)))
                .as("a server status from the parser still means bad input").hasValueSatisfying(e -> assertThat(e.status().value()).isEqualTo(400));
    }

    @Test
    void aBodyThatEndsEarlyIsFoundAnywhereInTheCauseChain() {
        assertThat(ClientErrors.classify(new IllegalStateException(new UncheckedIOException(new EOFException()))))
                .hasValueSatisfying(e -> assertThat(e.slug()).isEqualTo("incomplete-body"));
    }

    @Test
    void anythingElseIsNotTheClientsFault() {
        assertThat(ClientErrors.classify(new NullPointerException())).isEmpty();
        assertThat(ClientErrors.classify(new IllegalStateException(new IllegalArgumentException()))).isEmpty();
    }
}
