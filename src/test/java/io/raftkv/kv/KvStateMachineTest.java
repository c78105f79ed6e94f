package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Optional;
import java.util.stream.Stream;

import static io.raftkv.kv.Cmds.bytes;
import static io.raftkv.kv.Cmds.delete;
import static io.raftkv.kv.Cmds.put;
import static io.raftkv.kv.Cmds.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class KvStateMachineTest {

    private final KvStateMachine sm = new KvStateMachine();

    private static final long M = 4; // modRevision of "k" when it exists in the precondition tests
    private static final long INDEX = 10;

    /** "k" created at 3 and updated at 4 (createRevision 3, modRevision 4, version 2), or absent. */
    private KvStateMachine withK(boolean present) {
        KvStateMachine m = new KvStateMachine();
        if (present) {
            m.apply(3, put("k", "v1"));
            m.apply(4, put("k", "v2"));
        } else {
            m.apply(3, put("k", "v1"));
            m.apply(4, delete("k"));
        }
        m.apply(5, put("other", "x"));
        return m;
    }

    static Stream<Arguments> putCases() {
        return Stream.of(
                arguments(Precondition.NONE, false, new WriteResult.Written(INDEX, true)),
                arguments(Precondition.NONE, true, new WriteResult.Written(INDEX, false)),
                arguments(Precondition.revision(M), true, new WriteResult.Written(INDEX, false)),
                arguments(Precondition.revision(3), true, new WriteResult.PreconditionFailed(M)), // the createRevision is not the ETag
                arguments(Precondition.revision(M + 1), true, new WriteResult.PreconditionFailed(M)),
                arguments(Precondition.revision(M), false, new WriteResult.PreconditionFailed(0)),
                arguments(Precondition.revision(0), false, new WriteResult.PreconditionFailed(0)),
                arguments(Precondition.ABSENT, false, new WriteResult.Written(INDEX, true)),
                arguments(Precondition.ABSENT, true, new WriteResult.PreconditionFailed(M)),
                arguments(Precondition.PRESENT, true, new WriteResult.Written(INDEX, false)),
                arguments(Precondition.PRESENT, false, new WriteResult.PreconditionFailed(0)));
    }

    @ParameterizedTest(name = "PUT {0} on a key that exists={1} -> {2}")
    @MethodSource("putCases")
    void putPreconditions(Precondition p, boolean present, WriteResult expected) {
        KvStateMachine m = withK(present);
        Optional<KeyValue> before = m.get("k");
        long keys = m.keyCount();
        long bytes = m.dataBytes();

        WriteResult result = m.apply(INDEX, put("k", "new", p));

        assertThat(result).isEqualTo(expected);
        assertThat(m.appliedIndex()).isEqualTo(INDEX);
        if (expected instanceof WriteResult.Written w) {
            KeyValue kv = m.get("k").orElseThrow();
            assertThat(string(kv)).isEqualTo("new");
            assertThat(kv.modRevision()).isEqualTo(INDEX);
            assertThat(kv.createRevision()).isEqualTo(w.created() ? INDEX : 3);
            assertThat(kv.version()).isEqualTo(w.created() ? 1 : 3);
            assertThat(m.keyCount()).isEqualTo(present ? keys : keys + 1);
        } else {
            assertThat(m.get("k")).isEqualTo(before);
            assertThat(m.keyCount()).isEqualTo(keys);
            assertThat(m.dataBytes()).isEqualTo(bytes);
        }
    }

    static Stream<Arguments> deleteCases() {
        return Stream.of(
                arguments(Precondition.NONE, true, new WriteResult.Deleted(INDEX)),
                arguments(Precondition.NONE, false, WriteResult.NOT_FOUND),
                arguments(Precondition.revision(M), true, new WriteResult.Deleted(INDEX)),
                arguments(Precondition.revision(3), true, new WriteResult.PreconditionFailed(M)),
                arguments(Precondition.revision(M + 1), true, new WriteResult.PreconditionFailed(M)),
                arguments(Precondition.revision(M), false, new WriteResult.PreconditionFailed(0)),
                arguments(Precondition.ABSENT, true, new WriteResult.PreconditionFailed(M)),
                arguments(Precondition.ABSENT, false, WriteResult.NOT_FOUND),
                arguments(Precondition.PRESENT, true, new WriteResult.Deleted(INDEX)),
                arguments(Precondition.PRESENT, false, new WriteResult.PreconditionFailed(0)));
    }

    @ParameterizedTest(name = "DELETE {0} on a key that exists={1} -> {2}")
    @MethodSource("deleteCases")
    void deletePreconditions(Precondition p, boolean present, WriteResult expected) {
        KvStateMachine m = withK(present);
        Optional<KeyValue> before = m.get("k");
        long keys = m.keyCount();
        long bytes = m.dataBytes();

        WriteResult result = m.apply(INDEX, delete("k", p));

        assertThat(result).isEqualTo(expected);
        assertThat(m.appliedIndex()).isEqualTo(INDEX);
        if (expected instanceof WriteResult.Deleted) {
            assertThat(m.get("k")).isEmpty();
            assertThat(m.keyCount()).isEqualTo(keys - 1);
            assertThat(m.dataBytes()).isEqualTo(bytes - 1 - 2);
        } else {
            assertThat(m.get("k")).isEqualTo(before);
            assertThat(m.keyCount()).isEqualTo(keys);
            assertThat(m.dataBytes()).isEqualTo(bytes);
        }
        assertThat(m.get("other")).isPresent();
    }

    @Test
    void revisionsVersionAndCreateRevisionAcrossTheLifeOfAKey() {
        assertThat(sm.apply(1, put("k", "a"))).isEqualTo(new WriteResult.Written(1, true));
        assertThat(sm.get("k")).contains(new KeyValue("k", bytes("a"), null, 1, 1, 1));

        sm.skip(2);
        assertThat(sm.apply(3, put("k", "b"))).isEqualTo(new WriteResult.Written(3, false));
        assertThat(sm.get("k")).contains(new KeyValue("k", bytes("b"), null, 1, 3, 2));

        assertThat(sm.apply(7, put("k", "c"))).isEqualTo(new WriteResult.Written(7, false));
        assertThat(sm.get("k")).contains(new KeyValue("k", bytes("c"), null, 1, 7, 3));

        assertThat(sm.apply(8, delete("k"))).isEqualTo(new WriteResult.Deleted(8));
        assertThat(sm.get("k")).isEmpty();

        assertThat(sm.apply(9, put("k", "d"))).isEqualTo(new WriteResult.Written(9, true));
        assertThat(sm.get("k")).contains(new KeyValue("k", bytes("d"), null, 9, 9, 1));

        // a failed write touches nothing, not even the version
        assertThat(sm.apply(10, put("k", "e", Precondition.revision(1)))).isEqualTo(new WriteResult.PreconditionFailed(9));
        assertThat(sm.get("k")).contains(new KeyValue("k", bytes("d"), null, 9, 9, 1));

        // compare-and-set with the ETag just read
        assertThat(sm.apply(11, put("k", "e", Precondition.revision(9)))).isEqualTo(new WriteResult.Written(11, false));
        assertThat(sm.get("k")).contains(new KeyValue("k", bytes("e"), null, 9, 11, 2));
        assertThat(sm.appliedIndex()).isEqualTo(11);
    }

    @Test
    void contentTypeIsStoredAndReplacedByEachPut() {
        sm.apply(1, new KvCommand.Put("k", bytes("{}"), "application/json", null, null, 0));
        assertThat(sm.get("k").orElseThrow().contentType()).isEqualTo("application/json");
        sm.apply(2, new KvCommand.Put("k", bytes("x"), null, null, null, 0));
        assertThat(sm.get("k").orElseThrow().contentType()).isNull();
    }

    @Test
    void refusesANonIncreasingIndexAndChangesNothing() {
        sm.apply(5, put("k", "a"));
        assertThatThrownBy(() -> sm.apply(5, put("k", "b"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("5");
        assertThatThrownBy(() -> sm.apply(4, delete("k"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> sm.skip(5)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new KvStateMachine().apply(0, put("k", "a"))).isInstanceOf(IllegalStateException.class);
        assertThat(string(sm.get("k").orElseThrow())).isEqualTo("a");
        assertThat(sm.appliedIndex()).isEqualTo(5);
        // gaps are allowed: the entries in between may have been skipped elsewhere or covered by a snapshot
        assertThat(sm.apply(9, put("k", "c"))).isEqualTo(new WriteResult.Written(9, false));
    }

    @Test
    void skipOnlyAdvancesTheAppliedIndex() {
        sm.apply(1, put("k", "a", Precondition.NONE, "idem", 1000));
        byte[] before = snapshot(sm);
        sm.skip(2);
        sm.skip(10);
        assertThat(sm.appliedIndex()).isEqualTo(10);
        assertThat(sm.get("k").orElseThrow().modRevision()).isEqualTo(1);
        assertThat(sm.keyCount()).isEqualTo(1);
        KvStateMachine other = new KvStateMachine();
        other.apply(1, put("k", "a", Precondition.NONE, "idem", 1000));
        other.skip(10);
        assertThat(snapshot(sm)).isEqualTo(snapshot(other)).isNotEqualTo(before);
        // the next write gets the next index as its revision
        assertThat(sm.apply(11, put("k", "b"))).isEqualTo(new WriteResult.Written(11, false));
    }

    @Test
    void storedValuesAreIsolatedFromTheCallersArray() {
        byte[] value = bytes("original");
        sm.apply(1, new KvCommand.Put("k", value, null, null, null, 0));
        value[0] = 'X';
        assertThat(string(sm.get("k").orElseThrow())).isEqualTo("original");
        byte[] copy = sm.get("k").orElseThrow().valueCopy();
        copy[0] = 'Y';
        assertThat(string(sm.get("k").orElseThrow())).isEqualTo("original");
    }

    @Test
    void countsKeysAndBytes() {
        assertThat(sm.keyCount()).isZero();
        assertThat(sm.dataBytes()).isZero();
        sm.apply(1, put("ab", "123"));           // 2 + 3
        sm.apply(2, put("ü/😀", "")); // 2 + 1 + 4 + 0
        assertThat(sm.keyCount()).isEqualTo(2);
        assertThat(sm.dataBytes()).isEqualTo(5 + 7);
        sm.apply(3, put("ab", "1"));
        assertThat(sm.dataBytes()).isEqualTo(3 + 7);
        sm.apply(4, delete("ü/😀"));
        sm.apply(5, delete("nope"));
        assertThat(sm.keyCount()).isEqualTo(1);
        assertThat(sm.dataBytes()).isEqualTo(3);
        byte[] big = new byte[5 * 1024 * 1024];
        sm.apply(6, new KvCommand.Put("big", big, "application/octet-stream", null, null, 0));
        assertThat(sm.dataBytes()).isEqualTo(3 + 3 + big.length);
        assertThat(sm.get("big").orElseThrow().value()).hasSize(big.length);
    }

    @Test
    void keysAreExactStrings() {
        sm.apply(1, put("a/b", "1"));
        sm.apply(2, put("a/b/", "2"));
        sm.apply(3, put(" a b ", "3"));
        sm.apply(4, put("e\u0301", "decomposed"));
        sm.apply(5, put("\u00e9", "composed"));
        assertThat(string(sm.get("a/b").orElseThrow())).isEqualTo("1");
        assertThat(string(sm.get("a/b/").orElseThrow())).isEqualTo("2");
        assertThat(string(sm.get(" a b ").orElseThrow())).isEqualTo("3");
        assertThat(string(sm.get("e\u0301").orElseThrow())).isEqualTo("decomposed"); // no normalisation
        assertThat(string(sm.get("\u00e9").orElseThrow())).isEqualTo("composed");
        assertThat(sm.get("a")).isEmpty();
    }

    static byte[] snapshot(KvStateMachine m) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            m.writeSnapshot(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
