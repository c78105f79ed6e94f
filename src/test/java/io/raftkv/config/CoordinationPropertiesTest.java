package io.raftkv.config;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CoordinationPropertiesTest {
    private static CoordinationProperties bind(Map<String, String> props) {
        return new Binder(new MapConfigurationPropertySource(props)).bindOrCreate("raftkv", CoordinationProperties.class);
    }

    @Test
    void theDefaultsAreTheDocumentedOnesAndTheHistorysBytesFollowTheHeap() {
        CoordinationProperties p = bind(Map.of());
        assertThat(p.watch().history().maxEvents()).isEqualTo(100_000);
        assertThat(p.watch().history().maxAge()).isEqualTo(Duration.ofMinutes(10));
        assertThat(p.watch().history().maxBytes(128L << 20)).isEqualTo(8L << 20);
        assertThat(p.watch().history().maxBytes(4L << 30)).isEqualTo(64L << 20);
        assertThat(p.watch().bookmarkInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.watch().maxWatchers()).isEqualTo(1000);
        assertThat(p.txn().maxOps()).isEqualTo(128);
        assertThat(bind(Map.of("raftkv.watch.history.max-bytes", "1MB")).watch().history().maxBytes(4L << 30))
                .isEqualTo(DataSize.ofMegabytes(1).toBytes());
    }

    @Test
    void boundsThatCannotWorkStopTheStart() {
        assertThatThrownBy(() -> bind(Map.of("raftkv.watch.history.max-events", "0"))).hasRootCauseMessage(
                "raftkv.watch.history.max-events, max-bytes and max-age must be positive");
        assertThatThrownBy(() -> bind(Map.of("raftkv.watch.bookmark-interval", "0s"))).hasRootCauseMessage(
                "raftkv.watch.bookmark-interval must be positive");
        assertThatThrownBy(() -> bind(Map.of("raftkv.txn.max-ops", "0"))).hasRootCauseMessage("raftkv.txn.max-ops must be at least 1");
    }
}
