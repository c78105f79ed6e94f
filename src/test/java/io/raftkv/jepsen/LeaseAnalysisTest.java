package io.raftkv.jepsen;

import io.raftkv.jepsen.LeaseAnalysis.Lease;
import io.raftkv.jepsen.LeaseAnalysis.Read;
import io.raftkv.jepsen.LeaseAnalysis.Renewal;
import io.raftkv.jepsen.LeaseAnalysis.Renewal.Kind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Times in milliseconds; TTL 2 s, election timeout 150 ms, slack 300 ms: gone by the last renewal + 2.6 s. */
class LeaseAnalysisTest {
    private static final long MS = 1_000_000;

    private static Renewal renewal(long sent, long answered, Kind kind) {
        return new Renewal(sent * MS, answered * MS, kind);
    }

    private static Read read(long sent, boolean found) {
        return new Read("k", sent * MS, (sent + 5) * MS, found);
    }

    private static Lease lease(long abandonedAt, Renewal... renewals) {
        return new Lease("h0-1", 7, List.of(renewals), Map.of("k", 20 * MS), List.of(), abandonedAt < 0 ? -1 : abandonedAt * MS);
    }

    private static List<String> check(Lease l, List<Nemesis.Window> elections, Read... reads) {
        return LeaseAnalysis.check(List.of(l), List.of(reads), elections, Duration.ofSeconds(2), Duration.ofMillis(150),
                Duration.ofMillis(300)).violations();
    }

    @Test
    void aKeyGoneWhileAnAcknowledgedKeepaliveCoversItIsCaught() {
        Lease l = lease(-1, renewal(0, 10, Kind.ACKED), renewal(1500, 1510, Kind.ACKED));
        assertThat(check(l, List.of(), read(100, true), read(3000, false))).anyMatch(v -> v.contains("was gone at a read"));
        assertThat(check(l, List.of(), read(100, true), read(3600, false))).isEmpty();
    }

    @Test
    void aKeepaliveToldTheLeaseIsGoneTooEarlyIsCaught() {
        Lease l = lease(-1, renewal(0, 10, Kind.ACKED), renewal(1000, 1010, Kind.GONE));
        assertThat(check(l, List.of(), read(100, true))).anyMatch(v -> v.contains("no such lease"));
    }

    @Test
    void anAbandonedLeaseMustBeGoneByTtlPlusGrace() {
        Lease l = lease(600, renewal(0, 500, Kind.ACKED));
        assertThat(check(l, List.of(), read(3000, true), read(3200, false))).isEmpty();
        assertThat(check(l, List.of(), read(3200, true), read(3400, false))).anyMatch(v -> v.contains("still there"));
        assertThat(check(l, List.of(), read(1000, true))).anyMatch(v -> v.contains("never seen gone"));
    }

    @Test
    void aKeepaliveWhoseAnswerWasLostMayHaveRenewedIt() {
        Lease l = lease(2000, renewal(0, 500, Kind.ACKED), renewal(1000, 1900, Kind.UNKNOWN));
        assertThat(check(l, List.of(), read(4400, true), read(4600, false))).isEmpty();
    }

    @Test
    void aNewLeaderTimesTheLeaseAnew() {
        Lease l = lease(600, renewal(0, 500, Kind.ACKED));
        List<Nemesis.Window> election = List.of(new Nemesis.Window("election", "election", 2000 * MS, 2400 * MS));
        assertThat(check(l, election, read(4900, true), read(5100, false))).isEmpty();
        assertThat(check(l, election, read(5100, true), read(5200, false))).anyMatch(v -> v.contains("still there"));
    }
}
