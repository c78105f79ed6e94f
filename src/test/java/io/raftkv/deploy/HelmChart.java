package io.raftkv.deploy;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.Yaml;

/** Renders helm/raftkv with the real Helm (embedded by helm-java) and parses what it renders. */
final class HelmChart {

  static final Path CHART = Path.of("helm", "raftkv");

  private HelmChart() {}

  static Helm helm() {
    return new Helm(CHART);
  }

  /** {@code helm template <release> helm/raftkv -n <namespace> --set k=v ... [-f valuesFile]}. */
  static Rendered render(String release, String namespace, Map<String, ?> set, Path valuesFile) {
    TemplateCommand template = helm().template().withName(release).withNamespace(namespace);
    set.forEach(template::set);
    if (valuesFile != null) {
      template.withValuesFile(valuesFile);
    }
    return Rendered.parse(template.call());
  }

  /** Changes a copy of the chart before it is rendered. */
  interface ChartEdit {
    void apply(Path chartCopy) throws java.io.IOException;
  }

  /** Renders a copy of the chart (release raftkv, namespace default) after {@code edit} changed it. */
  static Rendered renderEditedCopy(Path workDir, Map<String, ?> set, ChartEdit edit) throws java.io.IOException {
    Path copy = workDir.resolve("raftkv");
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(CHART)) {
      for (Path from : files.toList()) {
        Path to = copy.resolve(CHART.relativize(from).toString());
        if (java.nio.file.Files.isDirectory(from)) {
          java.nio.file.Files.createDirectories(to);
        } else {
          java.nio.file.Files.copy(from, to);
        }
      }
    }
    edit.apply(copy);
    TemplateCommand template = new Helm(copy).template().withName("raftkv").withNamespace("default");
    set.forEach(template::set);
    return Rendered.parse(template.call());
  }

  /**
   * The chart with its `helm test` pod rendered like any other resource: helm-java's template
   * leaves test hooks out, so this renders a copy of the chart without the hook annotation.
   */
  static Rendered renderWithTestPod(Path workDir, Map<String, ?> set) throws java.io.IOException {
    return renderEditedCopy(workDir, set, copy -> {
      Path testPod = copy.resolve("templates/tests/test-put-get.yaml");
      String withHook = java.nio.file.Files.readString(testPod);
      String withoutHook = withHook.replace("helm.sh/hook: test", "raftkv.io/was-hook: test");
      if (withoutHook.equals(withHook)) {
        throw new AssertionError("the test pod is no longer a `helm.sh/hook: test`");
      }
      java.nio.file.Files.writeString(testPod, withoutHook);
    });
  }

  /**
   * Runs the chart's upgrade checks against {@code existingStatefulSet} (YAML), as `helm upgrade`
   * does against the one it looks up in the cluster, which a render without a cluster cannot.
   */
  static Rendered renderAsUpgradeOf(Path workDir, String existingStatefulSet, Map<String, ?> set)
      throws java.io.IOException {
    return renderEditedCopy(workDir, set, copy -> {
      java.nio.file.Files.writeString(copy.resolve("existing-statefulset.yaml"), existingStatefulSet);
      java.nio.file.Files.writeString(copy.resolve("templates/zz-upgrade-check.yaml"),
          "{{- include \"raftkv.validateUpgradeOf\" (dict \"context\" $ \"statefulSet\""
              + " (fromYaml (.Files.Get \"existing-statefulset.yaml\"))) }}\n");
    });
  }

  static Rendered render(String release, String namespace, Map<String, ?> set) {
    return render(release, namespace, set, null);
  }

  static Rendered render(Map<String, ?> set) {
    return render("raftkv", "default", set);
  }

  static String renderText(String release, String namespace) {
    return renderText(release, namespace, Map.of());
  }

  static String renderText(String release, String namespace, Map<String, ?> set) {
    TemplateCommand template = helm().template().withName(release).withNamespace(namespace);
    set.forEach(template::set);
    return template.call();
  }

  /**
   * The NOTES.txt an install would print. helm-java's template leaves NOTES out; a client-only dry
   * run of install renders them without a cluster.
   */
  static String notes(String release, String namespace) {
    return notes(release, namespace, Map.of());
  }

  static String notes(String release, String namespace, Map<String, ?> set) {
    InstallCommand install = helm().install().withName(release).withNamespace(namespace)
        .dryRun().withDryRunOption(DryRun.CLIENT).clientOnly();
    set.forEach(install::set);
    String output = install.call().getOutput();
    int start = output.indexOf("NOTES:");
    if (start < 0) {
      throw new AssertionError("install printed no NOTES:\n" + output);
    }
    return output.substring(start);
  }

  /** The documents of one render. */
  record Rendered(List<Map<String, Object>> documents) {

    static Rendered parse(String multiDocumentYaml) {
      List<Map<String, Object>> docs = new ArrayList<>();
      for (Object doc : new Yaml().loadAll(multiDocumentYaml)) {
        if (doc != null) {
          docs.add(Tree.map(doc));
        }
      }
      return new Rendered(docs);
    }

    List<Map<String, Object>> all(String kind) {
      return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    Map<String, Object> one(String kind) {
      List<Map<String, Object>> found = all(kind);
      if (found.size() != 1) {
        throw new AssertionError("expected one " + kind + " but found " + found.size() + ": " + kinds());
      }
      return found.get(0);
    }

    Map<String, Object> named(String kind, String name) {
      return all(kind).stream()
          .filter(d -> name.equals(Tree.map(d.get("metadata")).get("name")))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + kinds()));
    }

    List<String> kinds() {
      return documents.stream()
          .map(d -> d.get("kind") + "/" + Tree.map(d.get("metadata")).get("name"))
          .collect(Collectors.toList());
    }
  }

  /** Typed access to parsed YAML without unchecked casts all over the tests. */
  static final class Tree {
    private Tree() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
      if (!(node instanceof Map)) {
        throw new AssertionError("expected a mapping but found " + node);
      }
      return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
      if (!(node instanceof List)) {
        throw new AssertionError("expected a sequence but found " + node);
      }
      return (List<Object>) node;
    }

    /** Follows mapping keys (and sequence indexes given as integers) from node. */
    static Object at(Object node, Object... path) {
      Object current = node;
      for (Object step : path) {
        if (step instanceof Integer index) {
          current = list(current).get(index);
        } else {
          Map<String, Object> m = map(current);
          if (!m.containsKey((String) step)) {
            throw new AssertionError("no '" + step + "' in " + m.keySet());
          }
          current = m.get((String) step);
        }
        Objects.requireNonNull(current, () -> "null at " + step);
      }
      return current;
    }

    static Map<String, Object> mapAt(Object node, Object... path) {
      return map(at(node, path));
    }

    static List<Object> listAt(Object node, Object... path) {
      return list(at(node, path));
    }
  }
}
