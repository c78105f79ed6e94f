package io.raftkv.config;

import io.raftkv.node.NodeLimits;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** {@code raftkv.limits.*} for the store quota and the queue bounds: defaults from the heap, overrides, validation. */
class LimitsPropertiesTest {

    private static RaftKvProperties bindEnv(Map<String, Object> env) {
        return RaftKvPropertiesTest.bindEnv(env);
    }

    @Test
    void unsetSizesComeFromTheHeapAndAreCappedLikeEtcds() {
        NodeLimits small = bindEnv(Map.of()).limits().nodeLimits(256L << 20);
        assertThat(small.storeQuotaBytes()).isEqualTo((256L << 20) / 5);
        assertThat(small.backpressure().maxPendingWriteBytes()).isEqualTo(16L << 20);
        assertThat(small.backpressure().maxPendingWrites()).isEqualTo(4096);
        assertThat(small.backpressure().maxApplyBacklog()).isEqualTo(5000);
        assertThat(small.backpressure().maxPendingReads()).isEqualTo(8192);
        NodeLimits huge = bindEnv(Map.of()).limits().nodeLimits(64L << 30);
        assertThat(huge.storeQuotaBytes()).isEqualTo(2L << 30);
        assertThat(huge.backpressure().maxPendingWriteBytes()).isEqualTo(64L << 20);
    }

    @Test
    void everyLimitCanBeSetAsTheHelmChartSetsThem() {
        NodeLimits l = bindEnv(Map.of(
                "RAFTKV_LIMITS_MAXSTORESIZE", "1MB",
                "RAFTKV_LIMITS_MAXPENDINGWRITES", "10",
                "RAFTKV_LIMITS_MAXPENDINGBYTES", "2MB",
                "RAFTKV_LIMITS_MAXAPPLYBACKLOG", "100",
                "RAFTKV_LIMITS_MAXPENDINGREADS", "20")).limits().nodeLimits(1L << 30);
        assertThat(l.storeQuotaBytes()).isEqualTo(1L << 20);
        assertThat(l.backpressure().maxPendingWrites()).isEqualTo(10);
        assertThat(l.backpressure().maxPendingWriteBytes()).isEqualTo(2L << 20);
        assertThat(l.backpressure().maxApplyBacklog()).isEqualTo(100);
        assertThat(l.backpressure().maxPendingReads()).isEqualTo(20);
    }

    @Test
    void aBadLimitNamesItsProperty() {
        Throwable t = catchThrowable(() -> bindEnv(Map.of("RAFTKV_LIMITS_MAXSTORESIZE", "0B")));
        assertThat(t).rootCause().hasMessageContaining("raftkv.limits.max-store-size");
        t = catchThrowable(() -> bindEnv(Map.of("RAFTKV_LIMITS_MAXPENDINGWRITES", "0")));
        assertThat(t).rootCause().hasMessageContaining("raftkv.limits.max-pending-writes");
    }
}
