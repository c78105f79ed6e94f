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
import org.springframework.boot.autoconfigure.ssl.PemSslBundleProperties;
import org.springframework.boot.context.properties.bind.Bindable;

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
  void defaultsRenderAThreeNodeClusterWithItsServicesBudgetPolicyAndSecrets() {
    Rendered r = HelmChart.render(DEFAULTS);

    assertThat(r.kinds()).containsExactlyInAnyOrder(
        "StatefulSet/raftkv", "Service/raftkv", "Service/raftkv-headless",
        "PodDisruptionBudget/raftkv", "NetworkPolicy/raftkv", "Secret/raftkv-peer", "Secret/raftkv-auth",
        "ServiceAccount/raftkv", "Role/raftkv-autopilot", "RoleBinding/raftkv-autopilot");
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
    assertThat(pod.get("automountServiceAccountToken")).as("autopilot reads the StatefulSet").isEqualTo(true);
    assertThat(pod.get("serviceAccountName")).isEqualTo("raftkv");
    assertThat(at(container(sts), "image")).isEqualTo("raftkv:0.1.0");
    assertThat(mapAt(spec, "persistentVolumeClaimRetentionPolicy"))
        .as("a claim outlives its pod: see the README's Changing the number of nodes")
        .isEqualTo(Map.of("whenScaled", "Retain", "whenDeleted", "Retain"));
  }

  @Test
  void environmentCarriesIdentityMembersPortsAdvertisedUrlDataDirPeerSecretAndRootToken() {
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
    assertThat(mapAt(env.get("RAFTKV_AUTH_ROOT_TOKEN"), "valueFrom", "secretKeyRef"))
        .isEqualTo(Map.of("name", "raftkv-auth", "key", "root-token"));
    assertThat(at(env.get("POD_NAMESPACE"), "valueFrom", "fieldRef", "fieldPath")).isEqualTo("metadata.namespace");
    assertThat(env.keySet()).as("TLS is off and no cluster token is set by default")
        .noneMatch(name -> name.startsWith("SPRING_SSL") || name.contains("SSL_BUNDLE"))
        .doesNotContain("RAFTKV_CLUSTER_TOKEN");
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
        .isEqualTo(Map.of("path", "/actuator/health/liveness", "port", "client", "scheme", "HTTP"));
    assertThat(mapAt(c, "readinessProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/actuator/health/readiness", "port", "client", "scheme", "HTTP"));
    assertThat(mapAt(c, "startupProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/actuator/health/liveness", "port", "client", "scheme", "HTTP"));
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

  /** One at a time keeps a majority at any size, also one reached by `kubectl scale` that the budget was not rendered for. */
  @ParameterizedTest(name = "{0} replicas")
  @ValueSource(ints = {3, 5, 7})
  void disruptionBudgetTakesOneNodeAtATime(int replicas) {
    Rendered r = HelmChart.render(Map.of("replicas", replicas));

    Map<String, Object> pdb = r.one("PodDisruptionBudget");
    assertThat(mapAt(pdb, "spec")).containsEntry("maxUnavailable", 1).doesNotContainKey("minAvailable");
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
    assertThat(at(r.one("PodDisruptionBudget"), "spec", "maxUnavailable")).isEqualTo(1);
  }

  @Test
  void anotherReleaseNameAndNamespaceRenameEverythingAndStayInThatNamespace() {
    Rendered r = HelmChart.render("kv-prod", "payments", Map.of("clusterDomain", "corp.internal"));

    assertThat(r.kinds()).containsExactlyInAnyOrder(
        "StatefulSet/kv-prod-raftkv", "Service/kv-prod-raftkv", "Service/kv-prod-raftkv-headless",
        "PodDisruptionBudget/kv-prod-raftkv", "NetworkPolicy/kv-prod-raftkv", "Secret/kv-prod-raftkv-peer",
        "Secret/kv-prod-raftkv-auth", "ServiceAccount/kv-prod-raftkv", "Role/kv-prod-raftkv-autopilot",
        "RoleBinding/kv-prod-raftkv-autopilot");
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
    assertThat(at(env.get("RAFTKV_AUTH_ROOT_TOKEN"), "valueFrom", "secretKeyRef", "name"))
        .isEqualTo("kv-prod-raftkv-auth");
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
  void notesWithoutAuthShowPlainCurlCommandsForTheReleaseAndNamespace() {
    String notes = HelmChart.notes("kv-prod", "payments", Map.of("auth.enabled", false));

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
    assertThat(r.kinds()).filteredOn(k -> k.startsWith("Secret/")).containsExactly("Secret/raftkv-auth");
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

  @ParameterizedTest
  @ValueSource(strings = {"too-short", "sixteen chars, with spaces"})
  void schemaRejectsARootTokenTheNodeWouldRefuse(String token) {
    assertThatThrownBy(() -> HelmChart.render(Map.of("auth.rootToken", token)))
        .hasMessageContaining("/auth/rootToken");
  }

  @Test
  void clientAndPeerPortsMustDiffer() {
    assertThatThrownBy(() -> HelmChart.render(Map.of("ports.peer", 8080)))
        .hasMessageContaining("ports.client and ports.peer must differ");
  }

  // ---- Trust: secrets, auth, TLS (issue 10) ----

  @Test
  void generatedSecretsAreRandomImmutableAndOutliveAnUninstall() {
    Rendered first = HelmChart.render(DEFAULTS);
    Rendered second = HelmChart.render(DEFAULTS);

    assertThat(rootToken(first)).matches("[A-Za-z0-9]{48}").isNotEqualTo(rootToken(second))
        .isNotEqualTo(peerSecret(first));
    for (String name : List.of("raftkv-auth", "raftkv-peer")) {
      Map<String, Object> secret = first.named("Secret", name);
      // Immutable: a render that cannot read the old value back (helm template) fails to apply
      // instead of rotating it.
      assertThat(secret).as(name).containsEntry("immutable", true);
      assertThat(mapAt(secret, "metadata", "annotations")).as(name)
          .containsEntry("helm.sh/resource-policy", "keep");
    }
  }

  @Test
  void rootTokenCanBeGivenOrTakenFromAnExistingSecret() {
    assertThat(rootToken(HelmChart.render(Map.of("auth.rootToken", "open-sesame-0123456789"))))
        .isEqualTo("open-sesame-0123456789");

    Rendered r = HelmChart.render(Map.of("auth.existingSecret", "ops-raftkv-root", "auth.key", "token"));
    assertThat(r.kinds()).filteredOn(k -> k.startsWith("Secret/")).containsExactly("Secret/raftkv-peer");
    List<Object> env = listAt(container(r.one("StatefulSet")), "env");
    assertThat(PodEnvironment.property(env, "raftkv.auth.root-token")).isEqualTo("<secret:ops-raftkv-root/token>");
  }

  /** What GitOps tools apply: with both Secrets supplied, every render is the same, so nothing rotates. */
  @Test
  void withExistingSecretsEveryRenderIsIdenticalAndHoldsNoSecret() {
    Map<String, Object> set = Map.of("auth.existingSecret", "kv-auth", "peerSecret.existingSecret", "kv-peer",
        "tls.peer.enabled", true, "tls.existingSecret", "kv-tls");
    String first = HelmChart.renderText("raftkv", "default", set);
    String second = HelmChart.renderText("raftkv", "default", set);

    assertThat(first).isEqualTo(second);
    Rendered r = Rendered.parse(first);
    assertThat(r.all("Secret")).isEmpty();
    List<Object> env = listAt(container(r.one("StatefulSet")), "env");
    assertThat(PodEnvironment.property(env, "raftkv.auth.root-token")).isEqualTo("<secret:kv-auth/root-token>");
    assertThat(PodEnvironment.property(env, "raftkv.peer-secret")).isEqualTo("<secret:kv-peer/peer-secret>");
    // Without them, two renders differ: exactly why GitOps renderers must not use the generated ones.
    assertThat(HelmChart.renderText("raftkv", "default")).isNotEqualTo(HelmChart.renderText("raftkv", "default"));
  }

  @Test
  void authAndThePeerSecretCanBeTurnedOffAndTheNotesThenWarn() {
    Rendered r = HelmChart.render(Map.of("auth.enabled", false, "peerSecret.enabled", false));

    assertThat(r.all("Secret")).isEmpty();
    List<Object> env = listAt(container(r.one("StatefulSet")), "env");
    assertThat(PodEnvironment.property(env, "raftkv.auth.root-token")).isNull();
    assertThat(PodEnvironment.property(env, "raftkv.peer-secret")).isNull();
    String notes = HelmChart.notes("raftkv", "default", Map.of("auth.enabled", false, "peerSecret.enabled", false));
    assertThat(notes)
        .contains("WARNING: auth.enabled=false: anyone who reaches the client port can read, write and delete every key")
        .contains("WARNING: peerSecret.enabled=false without peer TLS")
        .doesNotContain("Authorization", "immutable", "WARNING: networkPolicy");
    assertThat(HelmChart.notes("raftkv", "default", Map.of("networkPolicy.enabled", false)))
        .contains("WARNING: networkPolicy.enabled=false: any pod in the cluster can reach the peer port");
  }

  @Test
  void defaultEnvironmentBindsTheTrustPropertiesTheNodeReads() {
    List<Object> env = listAt(container(HelmChart.render(Map.of("clusterToken", "prod-eu")).one("StatefulSet")), "env");

    assertThat(PodEnvironment.property(env, "raftkv.auth.root-token")).isEqualTo("<secret:raftkv-auth/root-token>");
    assertThat(PodEnvironment.property(env, "raftkv.peer-secret")).isEqualTo("<secret:raftkv-peer/peer-secret>");
    assertThat(PodEnvironment.property(env, "raftkv.cluster-token")).isEqualTo("prod-eu");
    assertThat(PodEnvironment.property(env, "raftkv.advertise-url"))
        .isEqualTo("http://<name>.raftkv-headless.<namespace>.svc.cluster.local:8080");
    assertThat(PodEnvironment.property(env, "server.ssl.bundle")).isNull();
    assertThat(PodEnvironment.property(env, "raftkv.peer.ssl.bundle")).isNull();
  }

  @Test
  void tlsFromASecretServesBothPortsFromOneReloadingPemBundle() {
    Rendered r = HelmChart.render(Map.of(
        "tls.client.enabled", true, "tls.peer.enabled", true, "tls.existingSecret", "raftkv-certs"));
    Map<String, Object> sts = r.one("StatefulSet");
    List<Object> env = listAt(container(sts), "env");

    assertThat(r.all("Certificate")).isEmpty();
    assertThat(PodEnvironment.property(env, "server.ssl.bundle")).isEqualTo("raftkv");
    assertThat(PodEnvironment.property(env, "raftkv.peer.ssl.bundle")).isEqualTo("raftkv");
    // Bound exactly as Spring Boot's SSL auto-configuration binds its bundles.
    PemSslBundleProperties bundle = PodEnvironment.binder(env)
        .bind("spring.ssl.bundle.pem", Bindable.mapOf(String.class, PemSslBundleProperties.class))
        .get().get("raftkv");
    assertThat(bundle).as("bundle 'raftkv'").isNotNull();
    assertThat(bundle.getKeystore().getCertificate()).isEqualTo("file:/etc/raftkv/tls/tls.crt");
    assertThat(bundle.getKeystore().getPrivateKey()).isEqualTo("file:/etc/raftkv/tls/tls.key");
    assertThat(bundle.getTruststore().getCertificate()).isEqualTo("file:/etc/raftkv/tls/ca.crt");
    assertThat(bundle.isReloadOnUpdate()).as("reload-on-update").isTrue();

    // The whole Secret as a read-only directory: files mounted with subPath are never updated.
    assertThat(listAt(container(sts), "volumeMounts"))
        .contains(Map.of("name", "tls", "mountPath", "/etc/raftkv/tls", "readOnly", true));
    Map<String, Object> volume = listAt(sts, "spec", "template", "spec", "volumes").stream().map(HelmChart.Tree::map)
        .filter(v -> "tls".equals(v.get("name"))).findFirst().orElseThrow();
    assertThat(mapAt(volume, "secret")).containsEntry("secretName", "raftkv-certs").doesNotContainKey("items");
  }

  @Test
  void clientTlsSwitchesProbesAndAdvertisedUrlToHttpsAndLeavesPeersAlone() {
    Map<String, Object> sts = HelmChart.render(Map.of(
        "tls.client.enabled", true, "tls.existingSecret", "raftkv-certs")).one("StatefulSet");
    Map<String, Object> c = container(sts);
    List<Object> env = listAt(c, "env");

    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(mapAt(c, probe, "httpGet")).as(probe).containsEntry("scheme", "HTTPS").containsEntry("port", "client");
    }
    assertThat(PodEnvironment.property(env, "raftkv.advertise-url"))
        .isEqualTo("https://<name>.raftkv-headless.<namespace>.svc.cluster.local:8080");
    assertThat(PodEnvironment.property(env, "raftkv.cluster")).contains("raftkv-0=http://").doesNotContain("https");
    assertThat(PodEnvironment.property(env, "raftkv.peer.ssl.bundle")).isNull();
    assertThat(PodEnvironment.property(env, "spring.ssl.bundle.pem.raftkv.truststore.certificate"))
        .as("client TLS alone needs no CA on the node").isNull();
  }

  @Test
  void peerTlsSwitchesPeerUrlsToHttpsAndLeavesClientsAlone() {
    Map<String, Object> c = container(HelmChart.render(Map.of(
        "tls.peer.enabled", true, "tls.existingSecret", "raftkv-certs")).one("StatefulSet"));
    List<Object> env = listAt(c, "env");

    assertThat(PodEnvironment.property(env, "raftkv.cluster")).isEqualTo(
        "raftkv-0=https://raftkv-0.raftkv-headless.<namespace>.svc.cluster.local:7080,"
            + "raftkv-1=https://raftkv-1.raftkv-headless.<namespace>.svc.cluster.local:7080,"
            + "raftkv-2=https://raftkv-2.raftkv-headless.<namespace>.svc.cluster.local:7080");
    assertThat(PodEnvironment.property(env, "raftkv.advertise-url")).startsWith("http://");
    assertThat(PodEnvironment.property(env, "server.ssl.bundle")).isNull();
    assertThat(mapAt(c, "readinessProbe", "httpGet")).containsEntry("scheme", "HTTP");
  }

  @Test
  void certManagerCertificateNamesEveryPodOneByOneAndTheClientService() {
    Rendered r = HelmChart.render("kv", "payments", Map.of(
        "replicas", 5, "tls.client.enabled", true, "tls.peer.enabled", true,
        "tls.certManager.enabled", true, "tls.certManager.issuerRef.name", "raftkv-ca",
        "tls.certManager.issuerRef.kind", "ClusterIssuer"));
    Map<String, Object> cert = r.one("Certificate");
    Map<String, Object> sts = r.one("StatefulSet");

    assertThat(at(cert, "apiVersion")).isEqualTo("cert-manager.io/v1");
    assertThat(mapAt(cert, "spec", "issuerRef"))
        .isEqualTo(Map.of("name", "raftkv-ca", "kind", "ClusterIssuer", "group", "cert-manager.io"));
    assertThat(listAt(cert, "spec", "usages")).contains("server auth", "client auth");
    assertThat(at(cert, "spec", "privateKey", "encoding")).isEqualTo("PKCS8");
    List<String> dnsNames = listAt(cert, "spec", "dnsNames").stream().map(String.class::cast).toList();
    List<String> expected = new ArrayList<>(IntStream.range(0, 7)
        .mapToObj(i -> "kv-raftkv-%d.kv-raftkv-headless.payments.svc.cluster.local".formatted(i)).toList());
    expected.addAll(List.of("kv-raftkv", "kv-raftkv.payments", "kv-raftkv.payments.svc",
        "kv-raftkv.payments.svc.cluster.local"));
    assertThat(dnsNames).containsExactlyElementsOf(expected).noneMatch(n -> n.contains("*"));

    // Every host a peer or a client is sent to, in the namespace the pods will run in, is named.
    String secretName = (String) at(cert, "spec", "secretName");
    Map<String, Object> volume = listAt(sts, "spec", "template", "spec", "volumes").stream().map(HelmChart.Tree::map)
        .filter(v -> "tls".equals(v.get("name"))).findFirst().orElseThrow();
    assertThat(at(volume, "secret", "secretName")).isEqualTo(secretName);
    List<Object> env = listAt(container(sts), "env");
    for (String member : PodEnvironment.property(env, "raftkv.cluster").split(",")) {
      String host = java.net.URI.create(member.split("=", 2)[1].replace("<namespace>", "payments")).getHost();
      assertThat(dnsNames).as("peer host").contains(host);
    }
    String advertised = PodEnvironment.property(env, "raftkv.advertise-url")
        .replace("<name>", "kv-raftkv-4").replace("<namespace>", "payments");
    assertThat(dnsNames).as("advertised host").contains(java.net.URI.create(advertised).getHost());
  }

  @Test
  void certManagerMaxReplicasAndExtraNamesAreHonoured() {
    Map<String, Object> cert = HelmChart.render(Map.of(
        "replicas", 3, "tls.client.enabled", true, "tls.certManager.enabled", true,
        "tls.certManager.issuerRef.name", "raftkv-ca", "tls.certManager.maxReplicas", 3,
        "tls.certManager.extraDnsNames[0]", "kv.example.com")).one("Certificate");

    assertThat(listAt(cert, "spec", "dnsNames")).hasSize(3 + 4 + 1)
        .contains("raftkv-2.raftkv-headless.default.svc.cluster.local", "kv.example.com")
        .doesNotContain("raftkv-3.raftkv-headless.default.svc.cluster.local");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "tls.client.enabled=true | tls.client.enabled and tls.peer.enabled need a certificate",
      "tls.peer.enabled=true | tls.client.enabled and tls.peer.enabled need a certificate",
      "tls.existingSecret=certs | nothing uses it: turn on tls.client.enabled and/or tls.peer.enabled",
      "tls.peer.enabled=true,tls.existingSecret=certs,tls.certManager.enabled=true,tls.certManager.issuerRef.name=ca"
          + " | tls.existingSecret and tls.certManager.enabled both name the nodes' certificate",
      "tls.peer.enabled=true,tls.certManager.enabled=true | tls.certManager.enabled needs tls.certManager.issuerRef.name",
      "tls.peer.enabled=true,tls.certManager.enabled=true,tls.certManager.issuerRef.name=ca,tls.certManager.maxReplicas=3,replicas=5"
          + " | tls.certManager.maxReplicas (3) must be at least replicas (5)",
  })
  void inconsistentTlsSettingsFailWithAClearMessage(String settings, String message) {
    Map<String, Object> set = new LinkedHashMap<>();
    for (String pair : settings.split(",")) {
      String[] kv = pair.split("=", 2);
      set.put(kv[0], kv[1]);
    }
    assertThatThrownBy(() -> HelmChart.render(set)).hasMessageContaining(message);
  }

  @Test
  void serviceMonitorSendsTheTokenAndScrapesOverHttpsWhenThoseAreOn() {
    Map<String, Object> plain = map(listAt(HelmChart.render(Map.of(
        "serviceMonitor.enabled", true, "auth.enabled", false)).one("ServiceMonitor"), "spec", "endpoints").get(0));
    assertThat(plain).doesNotContainKeys("authorization", "scheme", "tlsConfig");

    Map<String, Object> secured = map(listAt(HelmChart.render(Map.of(
        "serviceMonitor.enabled", true, "tls.client.enabled", true, "tls.existingSecret", "raftkv-certs"))
        .one("ServiceMonitor"), "spec", "endpoints").get(0));
    assertThat(mapAt(secured, "authorization")).isEqualTo(Map.of(
        "type", "Bearer", "credentials", Map.of("name", "raftkv-auth", "key", "root-token")));
    assertThat(secured).containsEntry("scheme", "https");
    assertThat(mapAt(secured, "tlsConfig")).isEqualTo(Map.of(
        "ca", Map.of("secret", Map.of("name", "raftkv-certs", "key", "ca.crt")),
        "serverName", "raftkv.default.svc"));

    Map<String, Object> ownToken = map(listAt(HelmChart.render(Map.of(
        "serviceMonitor.enabled", true, "serviceMonitor.tokenSecret.name", "metrics-token",
        "serviceMonitor.tokenSecret.key", "token")).one("ServiceMonitor"), "spec", "endpoints").get(0));
    assertThat(mapAt(ownToken, "authorization", "credentials")).isEqualTo(Map.of("name", "metrics-token", "key", "token"));
  }

  @Test
  void networkPolicyStillRestrictsThePeerPortWithTlsOn() {
    Rendered r = HelmChart.render(Map.of(
        "tls.client.enabled", true, "tls.peer.enabled", true, "tls.existingSecret", "raftkv-certs"));
    Map<String, Object> selector = mapAt(r.one("StatefulSet"), "spec", "selector", "matchLabels");
    Map<String, Object> peerRule = map(listAt(r.one("NetworkPolicy"), "spec", "ingress").get(0));

    assertThat(listAt(peerRule, "ports")).containsExactly(Map.of("port", "peer", "protocol", "TCP"));
    assertThat(listAt(peerRule, "from")).containsExactly(Map.of("podSelector", Map.of("matchLabels", selector)));
  }

  @Test
  void helmTestPodSendsTheRootTokenThroughRedirectsAndTrustsOnlyTheCa(@TempDir Path dir) throws Exception {
    Rendered r = HelmChart.renderWithTestPod(dir, Map.of("tls.client.enabled", true, "tls.existingSecret", "raftkv-certs"));
    Map<String, Object> pod = r.named("Pod", "raftkv-test");
    Map<String, Object> c = map(listAt(pod, "spec", "containers").get(0));
    List<Object> env = listAt(c, "env");
    String script = (String) listAt(c, "command").get(2);

    assertThat(PodEnvironment.variables(env))
        .containsEntry("BASE_URL", "https://raftkv:8080")
        .containsEntry("RAFTKV_TOKEN", "<secret:raftkv-auth/root-token>");
    assertThat(script).contains("--location-trusted -H \"Authorization: Bearer $RAFTKV_TOKEN\"")
        .contains("--cacert /etc/raftkv/ca/ca.crt").doesNotContain("--location ").doesNotContain(" -k ");
    assertThat(listAt(c, "volumeMounts")).containsExactly(Map.of("name", "ca", "mountPath", "/etc/raftkv/ca", "readOnly", true));
    // Only ca.crt is projected: the test pod never sees the nodes' private key.
    assertThat(mapAt(map(listAt(pod, "spec", "volumes").get(0)), "secret")).isEqualTo(Map.of(
        "secretName", "raftkv-certs", "items", List.of(Map.of("key", "ca.crt", "path", "ca.crt"))));
  }

  @Test
  void helmTestPodWithoutAuthOrTlsUsesPlainRedirects(@TempDir Path dir) throws Exception {
    Map<String, Object> pod = HelmChart.renderWithTestPod(dir, Map.of("auth.enabled", false)).named("Pod", "raftkv-test");
    Map<String, Object> c = map(listAt(pod, "spec", "containers").get(0));

    assertThat(PodEnvironment.variables(listAt(c, "env"))).containsOnlyKeys("BASE_URL").containsEntry("BASE_URL", "http://raftkv:8080");
    assertThat((String) listAt(c, "command").get(2)).contains("--location \"$@\"").doesNotContain("Authorization", "--cacert");
    assertThat(c).doesNotContainKey("volumeMounts");
    assertThat(mapAt(pod, "spec")).doesNotContainKey("volumes");
  }

  /** The checks `helm upgrade` runs against the StatefulSet it finds, here one the chart rendered. */
  @Test
  void anUpgradeSwitchesPeerTlsOnlyWhenTold(@TempDir Path dir) throws Exception {
    String installedPlain = new org.yaml.snakeyaml.Yaml().dump(HelmChart.render(DEFAULTS).one("StatefulSet"));
    Map<String, Object> tlsSettings = Map.of("tls.peer.enabled", true, "tls.existingSecret", "raftkv-certs");
    String installedWithPeerTls = new org.yaml.snakeyaml.Yaml().dump(HelmChart.render(tlsSettings).one("StatefulSet"));

    assertThat(HelmChart.renderAsUpgradeOf(dir.resolve("same"), installedPlain, DEFAULTS).all("StatefulSet")).hasSize(1);
    assertThat(HelmChart.renderAsUpgradeOf(dir.resolve("same-tls"), installedWithPeerTls, tlsSettings).all("StatefulSet"))
        .hasSize(1);
    assertThat(HelmChart.renderAsUpgradeOf(dir.resolve("client-tls"), installedPlain,
        Map.of("tls.client.enabled", true, "tls.existingSecret", "raftkv-certs")).all("StatefulSet"))
        .as("client TLS may be turned on later").hasSize(1);
    assertThatThrownBy(() -> HelmChart.renderAsUpgradeOf(dir.resolve("on"), installedPlain, tlsSettings))
        .hasMessageContaining("tls.peer.enabled changes from false to true")
        .hasMessageContaining("set tls.peer.allowSwitch=true, then delete all the pods");
    assertThatThrownBy(() -> HelmChart.renderAsUpgradeOf(dir.resolve("off"), installedWithPeerTls, DEFAULTS))
        .hasMessageContaining("tls.peer.enabled changes from true to false");
    Map<String, Object> acknowledged = new LinkedHashMap<>(tlsSettings);
    acknowledged.put("tls.peer.allowSwitch", true);
    assertThat(HelmChart.renderAsUpgradeOf(dir.resolve("on-acknowledged"), installedPlain, acknowledged).all("StatefulSet"))
        .hasSize(1);
  }

  @Test
  void anUpgradeChangesReplicasOnlyWithAutopilotFollowingThemAndShrinksByAMinorityAtMost(@TempDir Path dir)
      throws Exception {
    String installed3 = new org.yaml.snakeyaml.Yaml().dump(HelmChart.render(DEFAULTS).one("StatefulSet"));
    String installed7 = new org.yaml.snakeyaml.Yaml().dump(HelmChart.render(Map.of("replicas", 7)).one("StatefulSet"));

    assertThat(HelmChart.renderAsUpgradeOf(dir.resolve("grow"), installed3, Map.of("replicas", 5)).all("StatefulSet"))
        .hasSize(1);
    assertThat(HelmChart.renderAsUpgradeOf(dir.resolve("7to5"), installed7, Map.of("replicas", 5)).all("StatefulSet"))
        .hasSize(1);
    assertThatThrownBy(() -> HelmChart.renderAsUpgradeOf(dir.resolve("7to3"), installed7, Map.of("replicas", 3)))
        .hasMessageContaining("replicas cannot go from 7 to 3 in one step")
        .hasMessageContaining("the 3 left are no majority of the 7 members")
        .hasMessageContaining("Scale down in steps of at most 3");
    assertThatThrownBy(() -> HelmChart.renderAsUpgradeOf(dir.resolve("manual"), installed3,
        Map.of("replicas", 5, "autopilot.kubernetes.enabled", false)))
        .hasMessageContaining("replicas cannot change from 3 to 5 with autopilot.enabled or autopilot.kubernetes.enabled off");
    assertThatThrownBy(() -> HelmChart.renderAsUpgradeOf(dir.resolve("off"), installed3,
        Map.of("replicas", 5, "autopilot.enabled", false)))
        .hasMessageContaining("replicas cannot change from 3 to 5");
  }

  /**
   * An upgrade keeps RAFTKV_CLUSTER as the running StatefulSet has it, so a new replicas count does
   * not change the pod template (which would restart every pod during the resize); only a peer TLS
   * switch makes a new list. Checked on the helper the StatefulSet uses, with the StatefulSet that
   * `lookup` would find.
   */
  @Test
  void anUpgradeKeepsTheBootstrapMembersOfTheRunningStatefulSet(@TempDir Path dir) throws Exception {
    String installed3 = new org.yaml.snakeyaml.Yaml().dump(HelmChart.render(DEFAULTS).one("StatefulSet"));
    String threeMembers = env(HelmChart.render(DEFAULTS).one("StatefulSet")).get("RAFTKV_CLUSTER").get("value").toString();

    assertThat(bootstrapClusterAfterUpgrade(dir.resolve("grow"), installed3, Map.of("replicas", 5)))
        .isEqualTo(threeMembers);
    assertThat(bootstrapClusterAfterUpgrade(dir.resolve("none"), "{}", Map.of("replicas", 5)))
        .as("nothing running: the members from replicas").contains("raftkv-4=http://");
    assertThat(bootstrapClusterAfterUpgrade(dir.resolve("tls"), installed3,
        Map.of("tls.peer.enabled", true, "tls.existingSecret", "certs", "tls.peer.allowSwitch", true)))
        .as("a new scheme").startsWith("raftkv-0=https://").doesNotContain("http://");
  }

  private static String bootstrapClusterAfterUpgrade(Path dir, String existingStatefulSet, Map<String, ?> set)
      throws java.io.IOException {
    Rendered r = HelmChart.renderEditedCopy(dir, set, copy -> {
      Files.writeString(copy.resolve("existing-statefulset.yaml"), existingStatefulSet);
      Files.writeString(copy.resolve("templates/zz-bootstrap.yaml"), """
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: bootstrap, namespace: default}
          data:
            cluster: {{ include "raftkv.bootstrapClusterOf" (dict "context" $ "statefulSet" (fromYaml (.Files.Get "existing-statefulset.yaml"))) | quote }}
          """);
    });
    return (String) at(r.named("ConfigMap", "bootstrap"), "data", "cluster");
  }

  @Test
  void autopilotReadsItsOwnStatefulSetWithARoleAllowingThatAlone() {
    Rendered r = HelmChart.render("kv", "payments", DEFAULTS);
    Map<String, Object> sts = r.one("StatefulSet");
    List<Object> env = listAt(container(sts), "env");

    assertThat(PodEnvironment.property(env, "raftkv.autopilot.kubernetes.enabled")).isEqualTo("true");
    assertThat(PodEnvironment.property(env, "raftkv.autopilot.kubernetes.namespace")).isEqualTo("<namespace>");
    assertThat(PodEnvironment.property(env, "raftkv.autopilot.kubernetes.stateful-set"))
        .isEqualTo(at(sts, "metadata", "name")).isEqualTo("kv-raftkv");
    assertThat(listAt(r.one("Role"), "rules")).containsExactly(Map.of(
        "apiGroups", List.of("apps"), "resources", List.of("statefulsets"),
        "resourceNames", List.of("kv-raftkv"), "verbs", List.of("get")));
    Map<String, Object> binding = r.one("RoleBinding");
    assertThat(mapAt(binding, "roleRef")).isEqualTo(Map.of(
        "apiGroup", "rbac.authorization.k8s.io", "kind", "Role", "name", "kv-raftkv-autopilot"));
    assertThat(listAt(binding, "subjects")).containsExactly(Map.of(
        "kind", "ServiceAccount", "name", "kv-raftkv", "namespace", "payments"));
    Map<String, Object> account = r.one("ServiceAccount");
    assertThat(at(account, "metadata", "name")).isEqualTo(at(sts, "spec", "template", "spec", "serviceAccountName"));
    assertThat(account.get("automountServiceAccountToken")).as("only the pods that need it mount it").isEqualTo(false);
  }

  @Test
  void autopilotBindsItsRoleToAGivenServiceAccountInsteadOfMakingOne() {
    Rendered r = HelmChart.render(Map.of("serviceAccountName", "platform-kv"));

    assertThat(r.all("ServiceAccount")).isEmpty();
    assertThat(at(r.one("RoleBinding"), "subjects", 0, "name")).isEqualTo("platform-kv");
    assertThat(at(r.one("StatefulSet"), "spec", "template", "spec", "serviceAccountName")).isEqualTo("platform-kv");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"autopilot.kubernetes.enabled, ''", "autopilot.enabled, false"})
  void withoutTheStatefulSetSourceThePodsGetNoTokenAndNoRole(String switchOff, String autopilotEnv) {
    Rendered r = HelmChart.render(Map.of(switchOff, false));
    Map<String, Object> sts = r.one("StatefulSet");
    List<Object> env = listAt(container(sts), "env");

    assertThat(r.kinds()).noneMatch(k -> k.startsWith("ServiceAccount/") || k.startsWith("Role"));
    assertThat(mapAt(sts, "spec", "template", "spec")).containsEntry("automountServiceAccountToken", false)
        .doesNotContainKey("serviceAccountName");
    assertThat(PodEnvironment.property(env, "raftkv.autopilot.kubernetes.enabled")).isNull();
    assertThat(PodEnvironment.property(env, "raftkv.autopilot.enabled")).isEqualTo(autopilotEnv.isEmpty() ? null : autopilotEnv);
  }

  @Test
  void claimRetentionCanBeChosenAndOnlyAsKubernetesKnowsIt() {
    Map<String, Object> sts = HelmChart.render(Map.of("persistence.retentionPolicy.whenScaled", "Delete")).one("StatefulSet");

    assertThat(mapAt(sts, "spec", "persistentVolumeClaimRetentionPolicy"))
        .isEqualTo(Map.of("whenScaled", "Delete", "whenDeleted", "Retain"));
    assertThatThrownBy(() -> HelmChart.render(Map.of("persistence.retentionPolicy.whenScaled", "Keep")))
        .hasMessageContaining("whenScaled");
  }

  @Test
  void notesSayHowToResize() {
    assertThat(HelmChart.notes("raftkv", "default")).contains("To resize, change replicas (helm upgrade --set replicas=N, or kubectl scale)");
    assertThat(HelmChart.notes("raftkv", "default", Map.of("autopilot.kubernetes.enabled", false)))
        .contains("replicas is fixed: autopilot.kubernetes.enabled is off");
  }

  @Test
  void notesTellHowToGetTheRootTokenAndUseItWithCurl() {
    String notes = HelmChart.notes("kv-prod", "payments");

    assertThat(notes)
        .contains("TOKEN=\"$(kubectl -n payments get secret kv-prod-raftkv-auth -o jsonpath='{.data.root-token}' | base64 -d)\"")
        .contains("curl --location-trusted -H \"Authorization: Bearer $TOKEN\" "
            + "http://kv-prod-raftkv.payments.svc.cluster.local:8080/kv/greeting")
        .contains("set auth.existingSecret and peerSecret.existingSecret")
        .contains("WARNING: tls.client.enabled=false")
        .contains("WARNING: tls.peer.enabled=false");
  }

  @Test
  void notesWithClientTlsUseHttpsAndTheCa() {
    String notes = HelmChart.notes("raftkv", "default", Map.of(
        "tls.client.enabled", true, "tls.peer.enabled", true, "tls.existingSecret", "raftkv-certs"));

    assertThat(notes)
        .contains("get secret raftkv-certs -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt")
        .contains("curl --location-trusted -H \"Authorization: Bearer $TOKEN\" --cacert ca.crt "
            + "https://raftkv.default.svc.cluster.local:8080/kv/greeting")
        .contains("--connect-to raftkv.default.svc.cluster.local:8080:localhost:8080")
        .doesNotContain("WARNING: tls");
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
    return secretValue(r.named("Secret", "raftkv-peer"), "peer-secret");
  }

  private static String rootToken(Rendered r) {
    return secretValue(r.named("Secret", "raftkv-auth"), "root-token");
  }

  private static String secretValue(Map<String, Object> secret, String key) {
    assertThat(at(secret, "type")).isEqualTo("Opaque");
    assertThat(mapAt(secret, "data")).containsOnlyKeys(key);
    String encoded = (String) at(secret, "data", key);
    return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }
}
