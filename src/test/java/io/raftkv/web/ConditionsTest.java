package io.raftkv.web;

import io.raftkv.kv.Precondition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Conditional writes use HTTP's own headers (DESIGN.md): {@code If-Match: "<revision>"} compares and
 * sets, {@code If-None-Match: *} creates only; the ETag is the revision in quotes. Anything else in
 * those headers is a 400, never a silently unconditional write.
 */
class ConditionsTest {
    private static void refused(Runnable parse, String slug) {
        assertThatThrownBy(parse::run).isInstanceOfSatisfying(BadRequestException.class, e -> {
            assertThat(e.status().value()).isEqualTo(400);
            assertThat(e.slug()).isEqualTo(slug);
        });
    }

    @Test
    void writePreconditionsComeFromIfMatchOrIfNoneMatch() {
        assertThat(Conditions.forWrite(null, null)).isEqualTo(Precondition.NONE);
        assertThat(Conditions.forWrite("\"42\"", null)).isEqualTo(new Precondition.Revision(42));
        assertThat(Conditions.forWrite(" W/\"42\" ", null)).as("a weak tag names the same revision").isEqualTo(new Precondition.Revision(42));
        assertThat(Conditions.forWrite("*", null)).isInstanceOf(Precondition.Present.class);
        assertThat(Conditions.forWrite(null, "*")).isInstanceOf(Precondition.Absent.class);
    }

    @Test
    void malformedPreconditionsAreRefused() {
        refused(() -> Conditions.forWrite("\"1\"", "*"), "bad-precondition");
        refused(() -> Conditions.forWrite("42", null), "bad-precondition");
        refused(() -> Conditions.forWrite("\"-1\"", null), "bad-precondition");
        refused(() -> Conditions.forWrite("\"1\", \"2\"", null), "bad-precondition");
        refused(() -> Conditions.forWrite("\"99999999999999999999\"", null), "bad-precondition");
        refused(() -> Conditions.forWrite(null, "\"3\""), "bad-precondition");
    }

    @Test
    void theEtagIsTheRevisionInQuotesAndReadsBack() {
        assertThat(Conditions.etag(7)).isEqualTo("\"7\"");
        assertThat(Conditions.revision(Conditions.etag(Long.MAX_VALUE), "If-Match")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void ifNoneMatchOnAReadHitsWhenAnyListedTagIsCurrent() {
        assertThat(Conditions.noneMatchHits(null, 7)).isFalse();
        assertThat(Conditions.noneMatchHits("\"7\"", 7)).isTrue();
        assertThat(Conditions.noneMatchHits("\"6\", W/\"7\"", 7)).isTrue();
        assertThat(Conditions.noneMatchHits("*", 7)).isTrue();
        assertThat(Conditions.noneMatchHits("\"6\", garbage", 7)).isFalse();
        assertThat(Conditions.noneMatchHits("\"70\"", 7)).isFalse();
    }

    @Test
    void idempotencyKeysAreVisibleAsciiUpTo255() {
        assertThat(Conditions.idempotencyKey(null)).isNull();
        assertThat(Conditions.idempotencyKey("k-" + "x".repeat(253))).hasSize(255);
        refused(() -> Conditions.idempotencyKey("x".repeat(256)), "bad-idempotency-key");
        refused(() -> Conditions.idempotencyKey(""), "bad-idempotency-key");
        refused(() -> Conditions.idempotencyKey("a b"), "bad-idempotency-key");
        refused(() -> Conditions.idempotencyKey("ü"), "bad-idempotency-key");
    }
}
