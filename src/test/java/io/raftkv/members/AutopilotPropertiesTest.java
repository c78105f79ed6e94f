package io.raftkv.members;

import io.raftkv.config.EnvironmentBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class AutopilotPropertiesTest {

    private static AutopilotProperties bindEnv(Map<String, Object> env) {
        return EnvironmentBinding.bind("raftkv.autopilot", AutopilotProperties.class, env);
    }

    @Test
    void defaults() {
        AutopilotProperties p = bindEnv(Map.of());

        assertThat(p.enabled()).isTrue();
        assertThat(p.maxLagEntries()).isEqualTo(250);
        assertThat(p.stableFor()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.deadAfter()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.minVoters()).isEqualTo(3);
        assertThat(p.interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.learnerGrace()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.stepTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.kubernetes().enabled()).isFalse();
    }

    @Test
    void theHelmChartsEnvironmentTurnsOnTheStatefulSetSource() {
        AutopilotProperties p = bindEnv(Map.of(
                "RAFTKV_AUTOPILOT_KUBERNETES_ENABLED", "true",
                "RAFTKV_AUTOPILOT_KUBERNETES_NAMESPACE", "payments",
                "RAFTKV_AUTOPILOT_KUBERNETES_STATEFULSET", "kv-raftkv",
                "RAFTKV_AUTOPILOT_STABLEFOR", "30s",
                "RAFTKV_AUTOPILOT_MINVOTERS", "5"));

        assertThat(p.kubernetes()).isEqualTo(new AutopilotProperties.Kubernetes(true, "payments", "kv-raftkv"));
        assertThat(p.stableFor()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.minVoters()).isEqualTo(5);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "RAFTKV_AUTOPILOT_MAXLAGENTRIES | -1 | raftkv.autopilot.max-lag-entries must not be negative",
            "RAFTKV_AUTOPILOT_STABLEFOR | -1s | raftkv.autopilot.stable-for and learner-grace must not be negative",
            "RAFTKV_AUTOPILOT_DEADAFTER | 0s | raftkv.autopilot.dead-after must be at least 1s",
            "RAFTKV_AUTOPILOT_MINVOTERS | 0 | raftkv.autopilot.min-voters must be from 1 to 99",
            "RAFTKV_AUTOPILOT_MINVOTERS | 100 | raftkv.autopilot.min-voters must be from 1 to 99",
            "RAFTKV_AUTOPILOT_INTERVAL | 10ms | raftkv.autopilot.interval must be at least 100ms",
            "RAFTKV_AUTOPILOT_STEPTIMEOUT | 500ms | raftkv.autopilot.step-timeout must be at least 1s",
            "RAFTKV_AUTOPILOT_KUBERNETES_ENABLED | true | raftkv.autopilot.kubernetes.namespace must name the StatefulSet's namespace",
    })
    void badValuesStopTheStartNamingTheProperty(String variable, String value, String message) {
        Throwable t = catchThrowable(() -> bindEnv(Map.of(variable, value)));

        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        assertThat(root).hasMessageContaining(message);
    }
}
