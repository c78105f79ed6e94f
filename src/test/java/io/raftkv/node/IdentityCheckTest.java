package io.raftkv.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rules a new data directory follows before it takes part under its name. */
class IdentityCheckTest {
    private static final IdentityCheck.Answer NEVER = new IdentityCheck.Answer(false, "0123456789abcdef");
    private static final IdentityCheck.Answer HEARD = new IdentityCheck.Answer(true, "0123456789abcdef");

    @Test
    void onlyEveryOtherMemberSayingNeverConfirmsAnyOneThatHeardMeansReplaced() {
        List<String> others = List.of("n1", "n2", "n4", "n5");
        assertThat(IdentityCheck.decide(others, Map.of("n1", NEVER, "n2", NEVER, "n4", NEVER, "n5", NEVER)))
                .isEqualTo(IdentityCheck.Verdict.CONFIRMED);
        // A majority saying "never" is not enough: the one that does not answer may be the old leader
        // that counted this member's acknowledgements, while followers never hear from each other.
        assertThat(IdentityCheck.decide(others, Map.of("n1", NEVER, "n2", NEVER, "n4", NEVER)))
                .isEqualTo(IdentityCheck.Verdict.WAIT);
        assertThat(IdentityCheck.decide(others, Map.of("n5", HEARD))).isEqualTo(IdentityCheck.Verdict.REPLACED);
    }

    @Test
    void anAnswerIsReadFromRaftInfoAndAnythingElseIsNoAnswer() {
        assertThat(IdentityCheck.Answer.parse("{\"id\":\"n1\",\"clusterId\":\"0123456789abcdef\",\"term\":3,\"heardFromYou\":true}"))
                .contains(HEARD);
        assertThat(IdentityCheck.Answer.parse("{\"id\":\"n1\",\"term\":3}")).isEmpty();
        assertThat(IdentityCheck.Answer.parse("{\"clusterId\":\"not-hex\",\"heardFromYou\":false}")).isEmpty();
    }

    @Test
    void aMemberIdFileMustBeOfThisNodesName(@TempDir Path dir) throws Exception {
        assertThat(IdentityCheck.memberId(dir, "n3")).as("a directory of the bootstrap").isEqualTo("n3");
        String id = IdentityCheck.newMemberId("n3");
        assertThat(id).matches("n3~[0-9a-f]{6}");
        IdentityCheck.storeMemberId(dir, id);
        assertThat(IdentityCheck.memberId(dir, "n3")).isEqualTo(id);
        assertThatThrownBy(() -> IdentityCheck.memberId(dir, "n4")).hasMessageContaining("another node's directory");
    }

    @Test
    void aReplacedDirectoryIsOnlyOneThatNeverTookPart(@TempDir Path dir) throws Exception {
        IdentityCheck.markReplaced(dir);
        assertThat(IdentityCheck.replaced(dir)).as("without the new-directory marker it took part: never wiped").isFalse();
        IdentityCheck.mark(dir);
        assertThat(IdentityCheck.replaced(dir)).isTrue();
        IdentityCheck.wipeReplaced(dir);
        assertThat(dir.toFile().list()).isEmpty();
    }
}
