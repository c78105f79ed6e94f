package io.raftkv.members;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;

import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The desired size from a StatefulSet, against fabric8's mock Kubernetes API server. */
@EnableKubernetesMockClient(crud = true)
class StatefulSetReplicasTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private final MutableClock clock = new MutableClock();

    @Test
    void kubectlScaleLeadsTheLeaderThroughTheMemberChanges() {
        client.apps().statefulSets().inNamespace("kv").resource(statefulSet("raftkv", 3)).create();
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2");
        Reconciler r = ReconcilerTest.reconciler(twin, new StatefulSetReplicas(client, "kv", "raftkv"), clock);
        assertThat(ReconcilerTest.reconcileUntilQuiet(r, clock)).isEmpty();

        client.apps().statefulSets().inNamespace("kv").withName("raftkv").scale(5);
        twin.join("raftkv-3");
        twin.join("raftkv-4");
        assertThat(ReconcilerTest.reconcileUntilQuiet(r, clock)).as("the new pods are still behind").isEmpty();
        twin.catchUp("raftkv-4");
        twin.catchUp("raftkv-3");
        assertThat(ReconcilerTest.reconcileUntilQuiet(r, clock)).containsExactly("promote raftkv-3", "promote raftkv-4");

        client.apps().statefulSets().inNamespace("kv").withName("raftkv").scale(3);
        // The StatefulSet controller deletes the pods at once; their members fall silent.
        twin.silence("raftkv-4");
        twin.silence("raftkv-3");
        assertThat(ReconcilerTest.reconcileUntilQuiet(r, clock)).containsExactly("remove raftkv-4", "remove raftkv-3");
        assertThat(twin.voters()).containsExactly("raftkv-0", "raftkv-1", "raftkv-2");
    }

    @Test
    void readsSpecReplicas() {
        client.apps().statefulSets().inNamespace("payments").resource(statefulSet("kv-raftkv", 5)).create();

        assertThat(new StatefulSetReplicas(client, "payments", "kv-raftkv").get()).isEqualTo(OptionalInt.of(5));
    }

    @Test
    void aMissingStatefulSetIsAClearProblemAndNoChange() {
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");
        Reconciler r = ReconcilerTest.reconciler(twin, new StatefulSetReplicas(client, "kv", "nope"), clock);

        Decision d = r.reconcileOnce();

        assertThat(d.problem()).isEqualTo("StatefulSet kv/nope does not exist: check raftkv.autopilot.kubernetes.namespace and stateful-set");
        assertThat(twin.calls()).isEmpty();
    }

    @Test
    void aMissingPermissionIsAClearProblemAndNoChange() {
        server.expect().get().withPath("/apis/apps/v1/namespaces/kv/statefulsets/locked")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage(
                        "statefulsets.apps \"locked\" is forbidden: User \"system:serviceaccount:kv:default\" cannot get resource")
                        .build())
                .always();
        MembershipTwin twin = new MembershipTwin("raftkv-0", "raftkv-1", "raftkv-2", "raftkv-3");
        Reconciler r = ReconcilerTest.reconciler(twin, new StatefulSetReplicas(client, "kv", "locked"), clock);

        Decision d = r.reconcileOnce();

        assertThat(d.problem()).isEqualTo("the Kubernetes API refused to get StatefulSet kv/locked (403): this pod's"
                + " ServiceAccount needs `get` on statefulsets/locked (the Helm chart's Role grants it with"
                + " autopilot.kubernetes.enabled)");
        assertThat(new AutopilotHealthIndicator(r).health().getStatus().getCode()).isEqualTo("UNKNOWN");
        assertThat(twin.calls()).isEmpty();
    }

    @Test
    void anApiErrorIsAClearProblem() {
        server.expect().get().withPath("/apis/apps/v1/namespaces/kv/statefulsets/teapot")
                .andReturn(418, new StatusBuilder().withCode(418).withMessage("short and stout").build()).always();

        assertThatThrownBy(() -> new StatefulSetReplicas(client, "kv", "teapot").get())
                .isInstanceOf(DesiredSizeUnavailableException.class)
                .hasMessage("the Kubernetes API answered 418 reading StatefulSet kv/teapot: short and stout");
    }

    private static StatefulSet statefulSet(String name, int replicas) {
        return new StatefulSetBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).endSpec().build();
    }
}
