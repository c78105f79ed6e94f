package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListTest {

    /** UTF-8 byte order, computed independently of the code under test. */
    static final Comparator<String> BYTE_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private static final List<String> KEYS = List.of(
            "a", "a/", "a/b", "a/b/c", "a/b c", "a0", "a b", "ab", "b", "b/1", "b/2",
            "app/é", "app/\uFFFD", "app/😀", "app/\uE000", "app/z", "ключ", "ключ/😀", "日本/東京", "~");

    private final KvStateMachine sm = new KvStateMachine();

    ListTest() {
        long index = 1;
        for (String k : KEYS) {
            sm.apply(index++, put(k, "v:" + k));
        }
    }

    private static List<String> keys(Page page) {
        return page.items().stream().map(KeyValue::key).toList();
    }

    private static List<String> expected(String prefix) {
        return KEYS.stream().filter(k -> k.startsWith(prefix)).sorted(BYTE_ORDER).toList();
    }

    private List<String> pageThrough(String prefix, int limit) {
        List<String> all = new ArrayList<>();
        String startAfter = null;
        for (int pages = 0; ; pages++) {
            assertThat(pages).as("too many pages").isLessThan(100);
            Page page = sm.list(prefix, startAfter, limit);
            assertThat(page.items()).hasSizeLessThanOrEqualTo(limit);
            all.addAll(keys(page));
            if (page.nextStartAfter() == null) {
                return all;
            }
            assertThat(page.items()).hasSize(limit);
            assertThat(page.nextStartAfter()).isEqualTo(page.items().get(limit - 1).key());
            startAfter = page.nextStartAfter();
        }
    }

    @Test
    void pagesThroughEveryPrefixWithEveryPageSize() {
        for (String prefix : List.of("", "a", "a/", "a/b", "app/", "b/", "ключ", "日本/", "~", "zzz", "a/b/c/d")) {
            for (int limit = 1; limit <= KEYS.size() + 1; limit++) {
                assertThat(pageThrough(prefix, limit)).as("prefix '%s', limit %d", prefix, limit)
                        .containsExactlyElementsOf(expected(prefix));
            }
        }
        assertThat(pageThrough(null, 3)).containsExactlyElementsOf(expected(""));
    }

    @Test
    void ordersByUtf8BytesNotByUtf16() {
        // U+1F600 is a surrogate pair in UTF-16 (D83D...), which String.compareTo puts before U+E000 and U+FFFD
        assertThat(keys(sm.list("app/", null, 10))).containsExactly("app/z", "app/é", "app/\uE000", "app/\uFFFD", "app/😀");
    }

    @Test
    void aPrefixThatMatchesNothingGivesAnEmptyLastPage() {
        for (String prefix : List.of("zzz", "a/b/c/d", "0", "\u0000", "😀")) {
            Page page = sm.list(prefix, null, 10);
            assertThat(page.items()).as(prefix).isEmpty();
            assertThat(page.nextStartAfter()).isNull();
        }
    }

    @Test
    void startAfterSkipsStrictlyPastThatKey() {
        assertThat(keys(sm.list("a/", "a/b", 10))).containsExactly("a/b c", "a/b/c");
        // startAfter need not be a key
        assertThat(keys(sm.list("b", "b/10", 10))).containsExactly("b/2");
        // before the prefix: the listing starts at the prefix
        assertThat(keys(sm.list("b/", "a", 10))).containsExactly("b/1", "b/2");
        // beyond the last key, within or outside the prefix
        assertThat(sm.list("b/", "b/3", 10).items()).isEmpty();
        assertThat(sm.list("b/", "c", 10).items()).isEmpty();
        assertThat(sm.list("", "\uDBFF\uDFFF", 10).items()).isEmpty(); // U+10FFFF, after every key
        assertThat(sm.list("", "\uDBFF\uDFFF", 10).nextStartAfter()).isNull();
        assertThat(keys(sm.list("", "~", 10))).containsExactly("ключ", "ключ/😀", "日本/東京");
        // the prefix itself is a key and is listed
        assertThat(keys(sm.list("b", null, 1))).containsExactly("b");
    }

    @Test
    void theLastPageHasNoNextEvenWhenItIsExactlyFull() {
        Page page = sm.list("b", null, 3);
        assertThat(keys(page)).containsExactly("b", "b/1", "b/2");
        assertThat(page.nextStartAfter()).isNull();
        page = sm.list("b", null, 2);
        assertThat(page.nextStartAfter()).isEqualTo("b/1");
        page = sm.list("b", "b/1", 2);
        assertThat(keys(page)).containsExactly("b/2");
        assertThat(page.nextStartAfter()).isNull();
    }

    @Test
    void listsWholeRecordsAndForgetsDeletedKeys() {
        long next = sm.appliedIndex() + 1;
        sm.apply(next, delete("b/1"));
        sm.apply(next + 1, put("b/2", "changed"));
        Page page = sm.list("b/", null, 10);
        assertThat(page.items()).containsExactly(sm.get("b/2").orElseThrow());
        assertThat(page.items().get(0).modRevision()).isEqualTo(next + 1);
        assertThat(page.items().get(0).version()).isEqualTo(2);
        assertThatThrownBy(() -> page.items().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> sm.list("", null, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
        assertThatThrownBy(() -> sm.list("\uD800", null, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prefix");
    }

    @Test
    void anEmptyStoreListsNothing() {
        Page page = new KvStateMachine().list(null, null, 5);
        assertThat(page.items()).isEmpty();
        assertThat(page.nextStartAfter()).isNull();
    }
}
