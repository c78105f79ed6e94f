package io.raftkv.node;

import io.raftkv.node.RestoredState.Served;
import io.raftkv.node.RestoredState.Write;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.raftkv.node.RestoredState.assertServesExactlyTheWritesUpTo;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The restore check of {@link BackupRestoreIT} fails on each way a restore could be wrong. */
class RestoredStateTest {
    private static final List<Write> WRITES = List.of(
            new Write("a", "a1", 3, 0, 1), new Write("a", "a2", 7, 2, 3), new Write("b", "b1", 5, 0, 1),
            new Write("a", "a3", 12, 4, 5), new Write("c", "c1", 11, 4, 5), new Write("d", "d?", 0, 4, 9));

    @Test
    void theNewestAcknowledgedWritePerKeyAtOrBeforeTheIndexPasses() {
        assertThatCode(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a2", 7), "b", new Served("b1", 5)))).doesNotThrowAnyException();
        assertThatCode(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a2", 7), "b", new Served("b1", 5), "d", new Served("d?", 9))))
                .as("a write with an unknown outcome may be there").doesNotThrowAnyException();
    }

    @Test
    void aMissingKeyAnOlderOrLaterValueOrAnUnwrittenKeyFails() {
        assertThatThrownBy(() -> assertServesExactlyTheWritesUpTo(10, WRITES, Map.of("a", new Served("a2", 7))))
                .as("b is missing").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a1", 3), "b", new Served("b1", 5)))).as("a is older").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a3", 12), "b", new Served("b1", 5)))).as("a is later").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a2", 7), "b", new Served("b1", 5), "c", new Served("c1", 11))))
                .as("c came after the index").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a2", 7), "b", new Served("b1", 5), "e", new Served("e", 4))))
                .as("e was never written").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertServesExactlyTheWritesUpTo(10, WRITES,
                Map.of("a", new Served("a2", 6), "b", new Served("b1", 5)))).as("a at another revision")
                .isInstanceOf(AssertionError.class);
    }
}
