package io.raftkv.jepsen;

import io.raftkv.jepsen.BankAnalysis.Answer;
import io.raftkv.jepsen.BankAnalysis.Entry;
import io.raftkv.jepsen.BankAnalysis.Outcome;
import io.raftkv.jepsen.BankAnalysis.Read;
import io.raftkv.jepsen.BankAnalysis.State;
import io.raftkv.jepsen.BankAnalysis.Transfer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Two accounts of 100 opened at revision 10; t1 moves 30 at revision 12; t2, stale, is refused at 14. */
class BankAnalysisTest {
    private static final State OPENED = new State(10, new long[]{100, 100}, new long[]{10, 10});
    private static final State AFTER_T1 = new State(13, new long[]{70, 130}, new long[]{12, 12});

    private static Transfer t1(Outcome outcome, long revision, Answer again) {
        return new Transfer("t1", 0, 1, 30, 10, 10, 100, 200, outcome, revision, null, again);
    }

    private static final Transfer T2 = new Transfer("t2", 1, 0, 5, 10, 10, 300, 400, Outcome.REFUSED, 14,
            new State(14, new long[]{70, 130}, new long[]{12, 12}), null);

    private static List<String> check(List<Transfer> ts, List<Read> reads, List<Entry> ledger) {
        return BankAnalysis.check(OPENED, ts, reads, ledger);
    }

    @Test
    void aConsistentHistoryPasses() {
        assertThat(check(List.of(t1(Outcome.APPLIED, 12, new Answer(true, 12)), T2), List.of(new Read(250, 260, AFTER_T1)),
                List.of(new Entry("t1", 12, 1)))).isEmpty();
    }

    @Test
    void anAcknowledgedTransferMissingFromTheLedgerIsLost() {
        assertThat(check(List.of(t1(Outcome.APPLIED, 12, null)), List.of(), List.of())).anyMatch(v -> v.contains("acknowledged as applied"));
    }

    @Test
    void aTransferWrittenTwiceOrAnsweredDifferentlyAgainIsCaught() {
        assertThat(check(List.of(t1(Outcome.APPLIED, 12, new Answer(false, 15))), List.of(), List.of(new Entry("t1", 12, 2))))
                .anyMatch(v -> v.contains("written 2 times")).anyMatch(v -> v.contains("sent again"));
    }

    @Test
    void aReadWithAnotherTotalOrAnotherStateIsCaught() {
        State wrong = new State(13, new long[]{70, 100}, new long[]{12, 10});
        assertThat(check(List.of(t1(Outcome.APPLIED, 12, null)), List.of(new Read(250, 260, wrong)), List.of(new Entry("t1", 12, 1))))
                .anyMatch(v -> v.contains("totals 170")).anyMatch(v -> v.contains("transfers applied make it"));
    }

    @Test
    void aRefusalWhoseComparisonHeldIsCaught() {
        Transfer fresh = new Transfer("t2", 1, 0, 5, 12, 12, 300, 400, Outcome.REFUSED, 14, AFTER_T1, null);
        assertThat(check(List.of(t1(Outcome.APPLIED, 12, null), fresh), List.of(), List.of(new Entry("t1", 12, 1))))
                .anyMatch(v -> v.contains("although its comparison held"));
    }

    @Test
    void aReadThatMissesAnEarlierTransferBreaksRealTime() {
        State stale = new State(11, OPENED.balances(), OPENED.modRevisions());
        assertThat(check(List.of(t1(Outcome.APPLIED, 12, null)), List.of(new Read(250, 260, stale)), List.of(new Entry("t1", 12, 1))))
                .anyMatch(v -> v.contains("had ended"));
    }
}
