package io.raftkv.members;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** What autopilot adds to the node's context, and what it leaves out. */
@EnableKubernetesMockClient(crud = true)
class AutopilotConfigurationTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AutopilotConfiguration.class));

    @Test
    void withoutAMembershipPortThereIsNoReconciler() {
        runner.run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(Reconciler.class).doesNotHaveBean(AutopilotSchedule.class);
            assertThat(ctx).doesNotHaveBean(DesiredSize.class).doesNotHaveBean(KubernetesClient.class);
        });
    }

    @Test
    void aMembershipPortGetsAReconcilerItsScheduleAndHealth() {
        // The node's wiring gives the desired size from the log (RaftKvConfiguration); here a twin.
        runner.withBean(MembershipPort.class, () -> new MembershipTwin("n1")).withBean(DesiredSize.class, DesiredSizeTwin::new).run(ctx -> {
            assertThat(ctx).hasSingleBean(Reconciler.class).hasSingleBean(AutopilotSchedule.class);
            assertThat(ctx).hasBean("autopilotHealthIndicator").doesNotHaveBean(KubernetesClient.class);
            assertThat(ctx.getBean(AutopilotSchedule.class).isRunning()).isTrue();
        });
    }

    @Test
    void disabledAutopilotAddsNothing() {
        runner.withBean(MembershipPort.class, () -> new MembershipTwin("n1"))
                .withPropertyValues("raftkv.autopilot.enabled=false")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(Reconciler.class)
                        .doesNotHaveBean(DesiredSize.class).doesNotHaveBean(AutopilotProperties.class));
    }

    @Test
    void kubernetesEnabledReadsTheStatefulSetAndCallsNoApiUntilAReconcile() {
        int before = server.getRequestCount();
        runner.withBean(MembershipPort.class, () -> new MembershipTwin("n1"))
                .withBean(KubernetesClient.class, () -> client)
                .withPropertyValues("raftkv.autopilot.kubernetes.enabled=true", "raftkv.autopilot.kubernetes.namespace=kv",
                        "raftkv.autopilot.kubernetes.stateful-set=raftkv", "raftkv.autopilot.interval=1h")
                .run(ctx -> {
                    assertThat(ctx.getBean(DesiredSize.class)).isInstanceOf(StatefulSetReplicas.class);
                    assertThat(server.getRequestCount()).as("no API call at start-up").isEqualTo(before);
                });
    }

    @Test
    void kubernetesEnabledBuildsItsOwnClientWithoutCallingTheApi() {
        runner.withPropertyValues("raftkv.autopilot.kubernetes.enabled=true", "raftkv.autopilot.kubernetes.namespace=kv",
                        "raftkv.autopilot.kubernetes.stateful-set=raftkv")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(KubernetesClient.class);
                    assertThat(ctx.getBean(KubernetesClient.class).getConfiguration().getRequestRetryBackoffLimit()).isZero();
                });
    }

    @Test
    void kubernetesEnabledWithoutAStatefulSetNameStopsTheStartWithTheProperty() {
        runner.withPropertyValues("raftkv.autopilot.kubernetes.enabled=true", "raftkv.autopilot.kubernetes.namespace=kv")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("raftkv.autopilot.kubernetes.stateful-set must name this node's StatefulSet"));
    }
}
