package io.raftkv.web;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;

/** Optional headers and parameters read as Spring MVC binds them to a {@code String}. */
class RequestValuesTest {

    @Test
    void absentIsNullOneValueIsItselfAndRepeatedValuesAreJoinedWithCommas() {
        MockHttpServletRequest r = new MockHttpServletRequest("PUT", "/kv/a");
        r.addHeader("If-Match", "\"1\"");
        r.addHeader("If-Match", "\"2\"");
        r.addHeader("Idempotency-Key", "");
        r.addHeader("If-None-Match", "*");
        r.addParameter("ttl", "5s");
        r.addParameter("lease", "1", "2");
        assertThat(RequestValues.header(r, "If-Match")).isEqualTo("\"1\",\"2\"");
        assertThat(RequestValues.header(r, "if-none-match")).isEqualTo("*");
        assertThat(RequestValues.header(r, "Idempotency-Key")).isEmpty();
        assertThat(RequestValues.header(r, "X-Absent")).isNull();
        assertThat(RequestValues.param(r, "ttl")).isEqualTo("5s");
        assertThat(RequestValues.param(r, "lease")).isEqualTo("1,2");
        assertThat(RequestValues.param(r, "consistency")).isNull();
    }
}
