package io.raftkv.deploy;

import static io.raftkv.deploy.HelmChart.Tree.at;
import static io.raftkv.deploy.HelmChart.Tree.listAt;
import static io.raftkv.deploy.HelmChart.Tree.map;
import static io.raftkv.deploy.HelmChart.Tree.mapAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftkv.deploy.HelmChart.Rendered;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * k8s/ holds the chart rendered with default values ({@code helm template raftkv helm/raftkv}) for
 * people who deploy without Helm. These tests fail when the two drift apart. To regenerate k8s/
 * after changing the chart:
 *
 * <pre>./mvnw test -Dtest=K8sManifestsTest -Draftkv.regenerate-k8s=true</pre>
 *
 * The one difference is the Secrets (peer secret and root token): the chart generates random values
 * at install, and a value committed to k8s/ would be the same secret for everyone deploying from it.
 * So k8s/ has no Secret file; kustomization.yaml's secretGenerator makes the same Secrets from files
 * the user creates, which k8s/.gitignore keeps out of git.
 */
class K8sManifestsTest {

  private static final Path K8S = Path.of("k8s");
  private static final String REGENERATE = "raftkv.regenerate-k8s";
  private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: raftkv/templates/([^\\s]+)$");
  private static final String HEADER = """
      # Generated from helm/raftkv with default values (helm template raftkv helm/raftkv) by
      # K8sManifestsTest. Do not edit: change the chart, then regenerate with
      #   ./mvnw test -Dtest=K8sManifestsTest -Draftkv.regenerate-k8s=true
      """;

  private static String rendered;

  @BeforeAll
  static void renderAndRegenerateIfAsked() throws IOException {
    rendered = HelmChart.renderText("raftkv", "default");
    if (Boolean.getBoolean(REGENERATE)) {
      for (Map.Entry<String, String> file : manifestFilesFromRender(rendered).entrySet()) {
        Files.writeString(K8S.resolve(file.getKey()), HEADER + file.getValue());
      }
    }
  }

  @Test
  void manifestsEqualTheDefaultRenderOfTheChart() throws IOException {
    Rendered chart = Rendered.parse(rendered);
    Map<String, Map<String, Object>> expected = byKindAndName(chart.documents().stream()
        .filter(d -> !isHook(d) && !"Secret".equals(d.get("kind"))).toList());

    Map<String, Map<String, Object>> actual = byKindAndName(kustomizationResources());

    assertThat(actual)
        .as("k8s/ differs from `helm template raftkv helm/raftkv`; regenerate it with "
            + "./mvnw test -Dtest=K8sManifestsTest -D" + REGENERATE + "=true")
        .isEqualTo(expected);
  }

  @Test
  void secretGeneratorsMakeTheChartsSecretsExceptForTheirValues() throws IOException {
    List<Map<String, Object>> chartSecrets = Rendered.parse(rendered).all("Secret");
    Map<String, Object> kustomization = kustomization();
    List<Object> generators = listAt(kustomization, "secretGenerator");
    String ignored = Files.readString(K8S.resolve(".gitignore"));

    assertThat(generators).extracting(g -> map(g).get("name"))
        .containsExactlyInAnyOrderElementsOf(chartSecrets.stream().map(s -> at(s, "metadata", "name")).toList());
    for (Map<String, Object> chartSecret : chartSecrets) {
      Object name = at(chartSecret, "metadata", "name");
      Map<String, Object> generator = generators.stream().map(HelmChart.Tree::map)
          .filter(g -> name.equals(g.get("name"))).findFirst().orElseThrow();
      assertThat(kustomization.get("namespace")).isEqualTo(at(chartSecret, "metadata", "namespace"));
      assertThat(generator.get("type")).as("%s type", name).isEqualTo(chartSecret.get("type"));
      // Without the hash suffix the name stays the one the StatefulSet's secretKeyRef uses.
      assertThat(mapAt(generator, "options")).as("%s options", name)
          .containsEntry("disableNameSuffixHash", true)
          .containsEntry("immutable", chartSecret.get("immutable"));
      assertThat(mapAt(generator, "options", "labels")).isEqualTo(mapAt(chartSecret, "metadata", "labels"));
      List<String> keys = listAt(generator, "files").stream()
          .map(f -> ((String) f).split("=", 2)[0]).toList();
      assertThat(keys).containsExactlyElementsOf(mapAt(chartSecret, "data").keySet());
      for (Object entry : listAt(generator, "files")) {
        String file = ((String) entry).split("=", 2)[1];
        assertThat(ignored).as("%s must never be committed", file)
            .containsPattern("(?m)^/" + Pattern.quote(file) + "$");
      }
    }
  }

  @Test
  void everyManifestFileIsAKustomizationResource() throws IOException {
    List<String> resources = listAt(kustomization(), "resources").stream().map(String.class::cast).toList();
    List<String> files;
    try (Stream<Path> s = Files.list(K8S)) {
      files = s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
    }
    assertThat(resources).containsExactlyInAnyOrderElementsOf(files);
    assertThat(resources).containsExactlyInAnyOrderElementsOf(manifestFilesFromRender(rendered).keySet());
  }

  /** The render split by the template each document came from, hooks and the Secret left out. */
  private static Map<String, String> manifestFilesFromRender(String text) {
    Map<String, String> files = new TreeMap<>();
    for (String doc : text.split("(?m)^---\\s*$")) {
      Matcher m = SOURCE.matcher(doc);
      if (!m.find()) {
        continue;
      }
      Object parsed = new Yaml().load(doc);
      if (parsed == null || isHook(map(parsed)) || "Secret".equals(map(parsed).get("kind"))) {
        continue;
      }
      String body = doc.substring(m.end()).strip() + "\n";
      files.merge(m.group(1), body, (a, b) -> a + "---\n" + b);
    }
    return files;
  }

  private static boolean isHook(Map<String, Object> doc) {
    Object annotations = map(doc.get("metadata")).get("annotations");
    return annotations != null && map(annotations).containsKey("helm.sh/hook");
  }

  private static Map<String, Object> kustomization() throws IOException {
    return map(new Yaml().load(Files.readString(K8S.resolve("kustomization.yaml"))));
  }

  private static List<Map<String, Object>> kustomizationResources() throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object resource : listAt(kustomization(), "resources")) {
      for (Object doc : new Yaml().loadAll(Files.readString(K8S.resolve((String) resource)))) {
        if (doc != null) {
          docs.add(map(doc));
        }
      }
    }
    return docs;
  }

  private static Map<String, Map<String, Object>> byKindAndName(List<Map<String, Object>> docs) {
    Map<String, Map<String, Object>> byKey = new LinkedHashMap<>();
    for (Map<String, Object> doc : docs) {
      String key = doc.get("kind") + "/" + at(doc, "metadata", "name");
      assertThat(byKey.put(key, doc)).as("%s appears twice", key).isNull();
    }
    return new TreeMap<>(byKey);
  }
}
