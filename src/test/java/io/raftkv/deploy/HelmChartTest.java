package io.raftkv.deploy;

import static io.raftkv.deploy.HelmChart.Tree.at;
import static io.raftkv.deploy.HelmChart.Tree.list;
import static io.raftkv.deploy.HelmChart.Tree.listAt;
import static io.raftkv.deploy.HelmChart.Tree.map;
import static io.raftkv.deploy.HelmChart.Tree.mapAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.raftkv.deploy.HelmChart.Rendered;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Lints and renders helm/raftkv with the real Helm and checks what a cluster would be given. */
class HelmChartTest {

  private static final Map<String, Object> DEFAULTS = Map.of();

  @Test
  void lintsWithoutErrorsOrWarningsInStrictMode() {
    LintResult result = HelmChart.helm().lint().strict().call();

    assertThat(result.getMessages())
        .as("helm lint --strict messages")
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
  }

  @Test
  void defaultsRenderAThreeNodeClusterWithItsServicesBudgetPolicyAndSecret() {
    Rendered r = HelmChart.render(DEFAULTS);

    assertThat(r.kinds()).containsExactlyInAnyOrder(
        "StatefulSet/raftkv", "Service/raftkv", "Service/raftkv-headless",
        "PodDisruptionBudget/raftkv", "NetworkPolicy/raftkv", "Secret/raftkv-peer");
    assertThat(r.documents())
        .allSatisfy(d -> assertThat(mapAt(d, "metadata").get("namespace")).isEqualTo("default"));
  }

  @Test
  void statefulSetStartsAllNodesTogetherBehindTheHeadlessService() {
    Map<String, Object> sts = HelmChart.render(DEFAULTS).one("StatefulSet");
    Map<String, Object> spec = mapAt(sts, "spec");

    assertThat(spec.get("replicas")).isEqualTo(3);
    assertThat(spec.get("serviceName")).isEqualTo("raftkv-headless");
    assertThat(spec.get("podManagementPolicy")).isEqualTo("Parallel");
    assertThat(mapAt(spec, "template", "metadata", "labels"))
        .containsAllEntriesOf(mapAt(spec, "selector", "matchLabels"));
    Map<String, Object> pod = mapAt(spec, "template", "spec");
    assertThat(pod.get("terminationGracePeriodSeconds")).isEqualTo(30);
    assertThat(pod.get("enableServiceLinks")).isEqualTo(false);
    assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);
    assertThat(at(container(sts), "image")).isEqualTo("raftkv:0.1.0");
  }

  @Test
  void environmentCarriesIdentityMembersPortsAdvertisedUrlDataDirAndPeerSecret() {
    Map<String, Object> sts = HelmChart.render(DEFAULTS).one("StatefulSet");
    Map<String, Map<String, Object>> env = env(sts);

    assertThat(at(env.get("RAFTKV_NODE_ID"), "valueFrom", "fieldRef", "fieldPath")).isEqualTo("metadata.name");
    assertThat(env.get("RAFTKV_CLUSTER").get("value")).isEqualTo(
        "raftkv-0=http://raftkv-0.raftkv-headless.$(POD_NAMESPACE).svc.cluster.local:7080,"
            + "raftkv-1=http://raftkv-1.raftkv-headless.$(POD_NAMESPACE).svc.cluster.local:7080,"
            + "raftkv-2=http://raftkv-2.raftkv-headless.$(POD_NAMESPACE).svc.cluster.local:7080");
    assertThat(env.get("RAFTKV_ADVERTISE_URL").get("value"))
        .isEqualTo("http://$(POD_NAME).raftkv-headless.$(POD_NAMESPACE).svc.cluster.local:8080");
    assertThat(env.get("SERVER_PORT").get("value")).isEqualTo("8080");
    assertThat(env.get("RAFTKV_PEER_PORT").get("value")).isEqualTo("7080");
    assertThat(env.get("RAFTKV_DATA_DIR").get("value")).isEqualTo("/data");
    assertThat(mapAt(env.get("RAFTKV_PEER_SECRET"), "valueFrom", "secretKeyRef"))
        .containsEntry("name", "raftkv-peer").containsEntry("key", "peer-secret");
    assertThat(at(env.get("POD_NAMESPACE"), "valueFrom", "fieldRef", "fieldPath")).isEqualTo("metadata.namespace");
  }

  /** Kubernetes expands $(VAR) only for variables defined earlier in the list; later ones stay literal. */
  @ParameterizedTest
  @ValueSource(ints = {1, 3, 5, 7})
  void everyVariableReferenceInTheEnvironmentIsDefinedBeforeItIsUsed(int replicas) {
    Map<String, Object> sts = HelmChart.render(Map.of("replicas", replicas)).one("StatefulSet");
    List<String> defined = new ArrayList<>();
    Pattern reference = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    int references = 0;
    for (Object entry : listAt(container(sts), "env")) {
      Map<String, Object> var = map(entry);
      if (var.get("value") instanceof String value) {
        Matcher m = reference.matcher(value);
        while (m.find()) {
          references++;
          assertThat(defined).as("%s refers to $(%s)", var.get("name"), m.group(1)).contains(m.group(1));
        }
      }
      defined.add((String) var.get("name"));
    }
    assertThat(references).as("references checked").isGreaterThanOrEqualTo(replicas + 2);
  }

  @Test
  void containerServesClientAndPeerPortsWithProbesOnTheActuatorGroups() {
    Map<String, Object> c = container(HelmChart.render(DEFAULTS).one("StatefulSet"));

    assertThat(listAt(c, "ports")).containsExactly(
        Map.of("name", "client", "containerPort", 8080, "protocol", "TCP"),
        Map.of("name", "peer", "containerPort", 7080, "protocol", "TCP"));
    assertThat(mapAt(c, "livenessProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/actuator/health/liveness", "port", "client"));
    assertThat(mapAt(c, "readinessProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/actuator/health/readiness", "port", "client"));
    assertThat(mapAt(c, "startupProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/actuator/health/liveness", "port", "client"));
  }

  @Test
  void eachNodeGetsItsOwnDataVolumeAndAWritableTmp() {
    Map<String, Object> sts = HelmChart.render(DEFAULTS).one("StatefulSet");

    Map<String, Object> claim = map(listAt(sts, "spec", "volumeClaimTemplates").get(0));
    assertThat(at(claim, "metadata", "name")).isEqualTo("data");
    assertThat(listAt(claim, "spec", "accessModes")).containsExactly("ReadWriteOnce");
    assertThat(at(claim, "spec", "resources", "requests", "storage")).isEqualTo("10Gi");
    assertThat(listAt(container(sts), "volumeMounts")).containsExactlyInAnyOrder(
        Map.of("name", "data", "mountPath", "/data"),
        Map.of("name", "tmp", "mountPath", "/tmp"));
    assertThat(map(listAt(sts, "spec", "template", "spec", "volumes").get(0)))
        .containsEntry("name", "tmp").containsKey("emptyDir");
  }

  @Test
  void podsRunAsNonRootOnAReadOnlyRootWithNoPrivilegesAndLimitedResources() {
    Map<String, Object> sts = HelmChart.render(DEFAULTS).one("StatefulSet");
    Map<String, Object> pod = mapAt(sts, "spec", "template", "spec", "securityContext");
    Map<String, Object> c = container(sts);

    assertThat(pod).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", 10001)
        .containsEntry("fsGroup", 10001);
    assertThat(mapAt(pod, "seccompProfile")).containsEntry("type", "RuntimeDefault");
    assertThat(mapAt(c, "securityContext"))
        .containsEntry("readOnlyRootFilesystem", true)
        .containsEntry("allowPrivilegeEscalation", false);
    assertThat(listAt(c, "securityContext", "capabilities", "drop")).containsExactly("ALL");
    assertThat(mapAt(c, "resources", "requests")).containsKeys("cpu", "memory");
    assertThat(mapAt(c, "resources", "limits")).containsKey("memory");
  }

  @Test
  void aLeaderHasTimeToHandOverBeforeItIsKilled() {
    Map<String, Object> sts = HelmChart.render(DEFAULTS).one("StatefulSet");
    Map<String, Object> c = container(sts);

    assertThat(listAt(c, "lifecycle", "preStop", "exec", "command")).containsExactly("sleep", "5");
    // 30 s grace - 5 s pre-stop sleep - 5 s for the JVM to exit
    assertThat(env(sts).get("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE").get("value")).isEqualTo("20s");
  }

  @Test
  void shutdownTimeoutFollowsTheGracePeriodAndPreStopCanBeTurnedOff() {
    Map<String, Object> sts = HelmChart.render(
        Map.of("terminationGracePeriodSeconds", 60, "preStopSleepSeconds", 0)).one("StatefulSet");

    assertThat(at(sts, "spec", "template", "spec", "terminationGracePeriodSeconds")).isEqualTo(60);
    assertThat(container(sts)).doesNotContainKey("lifecycle");
    assertThat(env(sts).get("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE").get("value")).isEqualTo("55s");
  }

  @Test
  void headlessServicePublishesNotReadyPodsAndClientServiceOnlyServesClients() {
    Rendered r = HelmChart.render(DEFAULTS);
    Map<String, Object> selector = mapAt(r.one("StatefulSet"), "spec", "selector", "matchLabels");

    Map<String, Object> headless = mapAt(r.named("Service", "raftkv-headless"), "spec");
    assertThat(headless).containsEntry("clusterIP", "None").containsEntry("publishNotReadyAddresses", true);
    assertThat(mapAt(headless, "selector")).isEqualTo(selector);
    assertThat(listAt(headless, "ports")).extracting(p -> map(p).get("name"), p -> map(p).get("port"))
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("client", 8080),
            org.assertj.core.groups.Tuple.tuple("peer", 7080));

    Map<String, Object> client = mapAt(r.named("Service", "raftkv"), "spec");
    assertThat(client).doesNotContainKey("publishNotReadyAddresses").doesNotContainKey("clusterIP");
    assertThat(mapAt(client, "selector")).isEqualTo(selector);
    assertThat(listAt(client, "ports")).containsExactly(
        Map.of("name", "client", "port", 8080, "targetPort", "client", "protocol", "TCP"));
  }

  @ParameterizedTest(name = "{0} replicas keep at least {1} available")
  @CsvSource({"3, 2", "5, 3", "7, 4"})
  void disruptionBudgetKeepsAQuorum(int replicas, int quorum) {
    Rendered r = HelmChart.render(Map.of("replicas", replicas));

    Map<String, Object> pdb = r.one("PodDisruptionBudget");
    assertThat(at(pdb, "spec", "minAvailable")).isEqualTo(quorum);
    assertThat(mapAt(pdb, "spec", "selector", "matchLabels"))
        .isEqualTo(mapAt(r.one("StatefulSet"), "spec", "selector", "matchLabels"));
  }

  @Test
  void aSingleNodeHasNoDisruptionBudgetThatWouldBlockEveryDrain() {
    Rendered r = HelmChart.render(Map.of("replicas", 1));

    assertThat(r.all("PodDisruptionBudget")).isEmpty();
    assertThat(env(r.one("StatefulSet")).get("RAFTKV_CLUSTER").get("value"))
        .isEqualTo("raftkv-0=http://raftkv-0.raftkv-headless.$(POD_NAMESPACE).svc.cluster.local:7080");
  }

  @Test
  void fiveReplicasListFiveMembers() {
    Rendered r = HelmChart.render(Map.of("replicas", 5));
    Map<String, Object> sts = r.one("StatefulSet");

    assertThat(at(sts, "spec", "replicas")).isEqualTo(5);
    assertThat(env(sts).get("RAFTKV_CLUSTER").get("value")).isEqualTo(String.join(",",
        IntStream.range(0, 5)
            .mapToObj(i -> "raftkv-%d=http://raftkv-%d.raftkv-headless.$(POD_NAMESPACE).svc.cluster.local:7080"
                .formatted(i, i))
            .toList()));
    assertThat(at(r.one("PodDisruptionBudget"), "spec", "minAvailable")).isEqualTo(3);
  }

  @Test
  void anotherReleaseNameAndNamespaceRenameEverythingAndStayInThatNamespace() {
    Rendered r = HelmChart.render("kv-prod", "payments", Map.of("clusterDomain", "corp.internal"));

    assertThat(r.kinds()).containsExactlyInAnyOrder(
        "StatefulSet/kv-prod-raftkv", "Service/kv-prod-raftkv", "Service/kv-prod-raftkv-headless",
        "PodDisruptionBudget/kv-prod-raftkv", "NetworkPolicy/kv-prod-raftkv", "Secret/kv-prod-raftkv-peer");
    assertThat(r.documents())
        .allSatisfy(d -> assertThat(mapAt(d, "metadata").get("namespace")).isEqualTo("payments"));
    Map<String, Object> sts = r.one("StatefulSet");
    assertThat(at(sts, "spec", "serviceName")).isEqualTo("kv-prod-raftkv-headless");
    Map<String, Map<String, Object>> env = env(sts);
    assertThat(env.get("RAFTKV_CLUSTER").get("value")).isEqualTo(
        "kv-prod-raftkv-0=http://kv-prod-raftkv-0.kv-prod-raftkv-headless.$(POD_NAMESPACE).svc.corp.internal:7080,"
            + "kv-prod-raftkv-1=http://kv-prod-raftkv-1.kv-prod-raftkv-headless.$(POD_NAMESPACE).svc.corp.internal:7080,"
            + "kv-prod-raftkv-2=http://kv-prod-raftkv-2.kv-prod-raftkv-headless.$(POD_NAMESPACE).svc.corp.internal:7080");
    assertThat(env.get("RAFTKV_ADVERTISE_URL").get("value"))
        .isEqualTo("http://$(POD_NAME).kv-prod-raftkv-headless.$(POD_NAMESPACE).svc.corp.internal:8080");
    assertThat(at(env.get("RAFTKV_PEER_SECRET"), "valueFrom", "secretKeyRef", "name"))
        .isEqualTo("kv-prod-raftkv-peer");
    assertThat(mapAt(sts, "spec", "selector", "matchLabels"))
        .containsEntry("app.kubernetes.io/instance", "kv-prod");
  }

  @Test
  void aReleaseNamedAfterTheChartIsNotPrefixedTwice() {
    Rendered r = HelmChart.render("raftkv-eu", "kv", DEFAULTS);

    assertThat(r.all("StatefulSet")).singleElement()
        .satisfies(sts -> assertThat(at(sts, "metadata", "name")).isEqualTo("raftkv-eu"));
    assertThat((String) env(r.one("StatefulSet")).get("RAFTKV_CLUSTER").get("value"))
        .startsWith("raftkv-eu-0=http://raftkv-eu-0.raftkv-eu-headless.$(POD_NAMESPACE).svc.cluster.local:7080,");
  }

  @Test
  void notesShowCurlCommandsForTheReleaseAndNamespace() {
    String notes = HelmChart.notes("kv-prod", "payments");

    assertThat(notes)
        .contains("curl -L -X PUT --data-binary 'hello' http://kv-prod-raftkv.payments.svc.cluster.local:8080/kv/greeting")
        .contains("curl -L http://kv-prod-raftkv.payments.svc.cluster.local:8080/kv/greeting")
        .contains("kubectl -n payments port-forward svc/kv-prod-raftkv 8080:8080")
        .contains("helm test kv-prod -n payments");
  }

  @Test
  void networkPolicyLetsOnlyTheClusterPodsReachThePeerPort() {
    Rendered r = HelmChart.render(DEFAULTS);
    Map<String, Object> selector = mapAt(r.one("StatefulSet"), "spec", "selector", "matchLabels");
    Map<String, Object> policy = mapAt(r.one("NetworkPolicy"), "spec");

    assertThat(mapAt(policy, "podSelector", "matchLabels")).isEqualTo(selector);
    assertThat(listAt(policy, "policyTypes")).containsExactly("Ingress");
    List<Object> rules = listAt(policy, "ingress");
    assertThat(rules).hasSize(2);
    Map<String, Object> peerRule = map(rules.get(0));
    assertThat(listAt(peerRule, "ports")).containsExactly(Map.of("port", "peer", "protocol", "TCP"));
    assertThat(listAt(peerRule, "from")).containsExactly(Map.of("podSelector", Map.of("matchLabels", selector)));
    Map<String, Object> clientRule = map(rules.get(1));
    assertThat(listAt(clientRule, "ports")).containsExactly(Map.of("port", "client", "protocol", "TCP"));
    assertThat(clientRule).as("client port open to all by default").doesNotContainKey("from");
  }

  @Test
  void restrictingClientsStillLetsTheHelmTestPodIn(@TempDir Path dir) throws Exception {
    Path values = dir.resolve("values.yaml");
    Files.writeString(values, """
        networkPolicy:
          clientFrom:
            - namespaceSelector:
                matchLabels:
                  team: payments
        """);
    Map<String, Object> policy = mapAt(HelmChart.render("raftkv", "default", DEFAULTS, values)
        .one("NetworkPolicy"), "spec");

    assertThat(listAt(map(listAt(policy, "ingress").get(1)), "from")).containsExactly(
        Map.of("namespaceSelector", Map.of("matchLabels", Map.of("team", "payments"))),
        Map.of("podSelector", Map.of("matchLabels", Map.of(
            "app.kubernetes.io/instance", "raftkv", "app.kubernetes.io/component", "helm-test"))));
  }

  @Test
  void networkPolicyAndServiceMonitorCanBeToggled() {
    Rendered r = HelmChart.render(Map.of("networkPolicy.enabled", false, "serviceMonitor.enabled", true));

    assertThat(r.all("NetworkPolicy")).isEmpty();
    Map<String, Object> monitor = r.one("ServiceMonitor");
    assertThat(listAt(monitor, "spec", "endpoints")).singleElement()
        .satisfies(e -> assertThat(map(e)).containsEntry("port", "client")
            .containsEntry("path", "/actuator/prometheus"));
    // Scraped through the headless Service so that nodes without a leader are scraped too.
    Map<String, Object> wanted = mapAt(monitor, "spec", "selector", "matchLabels");
    assertThat(mapAt(r.named("Service", "raftkv-headless"), "metadata", "labels")).containsAllEntriesOf(wanted);
    assertThat(mapAt(r.named("Service", "raftkv"), "metadata", "labels")).doesNotContainEntry(
        "app.kubernetes.io/component", wanted.get("app.kubernetes.io/component"));
  }

  @Test
  void generatedPeerSecretIsRandomPerInstall() {
    String first = peerSecret(HelmChart.render(DEFAULTS));
    String second = peerSecret(HelmChart.render(DEFAULTS));

    assertThat(first).matches("[A-Za-z0-9]{48}");
    assertThat(second).matches("[A-Za-z0-9]{48}").isNotEqualTo(first);
  }

  @Test
  void peerSecretCanBeGivenOrTakenFromAnExistingSecret() {
    assertThat(peerSecret(HelmChart.render(Map.of("peerSecret.value", "correct-horse-battery"))))
        .isEqualTo("correct-horse-battery");

    Rendered r = HelmChart.render(Map.of("peerSecret.existingSecret", "ops-raftkv", "peerSecret.key", "token"));
    assertThat(r.all("Secret")).isEmpty();
    assertThat(mapAt(env(r.one("StatefulSet")).get("RAFTKV_PEER_SECRET"), "valueFrom", "secretKeyRef"))
        .isEqualTo(Map.of("name", "ops-raftkv", "key", "token"));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2, 4, 9})
  void schemaRejectsReplicaCountsWithoutAClearMajority(int replicas) {
    assertThatThrownBy(() -> HelmChart.render(Map.of("replicas", replicas)))
        .hasMessageContaining("/replicas")
        .hasMessageContaining("value must be one of 1, 3, 5, 7");
  }

  @Test
  void schemaRejectsMistypedKeys() {
    assertThatThrownBy(() -> HelmChart.render(Map.of("replica", 3)))
        .hasMessageContaining("additional properties 'replica' not allowed");
  }

  @Test
  void clientAndPeerPortsMustDiffer() {
    assertThatThrownBy(() -> HelmChart.render(Map.of("ports.peer", 8080)))
        .hasMessageContaining("ports.client and ports.peer must differ");
  }

  private static Map<String, Object> container(Map<String, Object> sts) {
    List<Object> containers = listAt(sts, "spec", "template", "spec", "containers");
    assertThat(containers).hasSize(1);
    return map(containers.get(0));
  }

  private static Map<String, Map<String, Object>> env(Map<String, Object> sts) {
    Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
    for (Object entry : listAt(container(sts), "env")) {
      Map<String, Object> var = map(entry);
      assertThat(byName.put((String) var.get("name"), var)).as("duplicate %s", var.get("name")).isNull();
    }
    return byName;
  }

  private static String peerSecret(Rendered r) {
    Map<String, Object> secret = r.one("Secret");
    assertThat(at(secret, "type")).isEqualTo("Opaque");
    String encoded = (String) at(secret, "data", "peer-secret");
    return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }
}
