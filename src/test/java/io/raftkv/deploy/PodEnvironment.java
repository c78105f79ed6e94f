package io.raftkv.deploy;

import static io.raftkv.deploy.HelmChart.Tree.at;
import static io.raftkv.deploy.HelmChart.Tree.map;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * A container's environment as the node process would see it, and Spring Boot's binder over it:
 * checks that the chart's variable names reach the properties they are meant for, with the same
 * relaxed binding rules as the real node (a misspelt variable binds to nothing, silently).
 */
final class PodEnvironment {

  private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  private PodEnvironment() {}

  /**
   * Name to value, with Kubernetes' $(VAR) expansion. Values from the downward API become the
   * field path's last step in angle brackets, those from Secrets {@code <secret:name/key>}.
   */
  static Map<String, String> variables(List<Object> env) {
    Map<String, String> vars = new LinkedHashMap<>();
    for (Object entry : env) {
      Map<String, Object> var = map(entry);
      String name = (String) var.get("name");
      if (var.get("value") instanceof String value) {
        vars.put(name, expand(value, vars));
      } else if (map(var.get("valueFrom")).containsKey("secretKeyRef")) {
        vars.put(name, "<secret:%s/%s>".formatted(
            at(var, "valueFrom", "secretKeyRef", "name"), at(var, "valueFrom", "secretKeyRef", "key")));
      } else {
        String path = (String) at(var, "valueFrom", "fieldRef", "fieldPath");
        vars.put(name, "<" + path.substring(path.lastIndexOf('.') + 1) + ">");
      }
    }
    return vars;
  }

  /** Spring Boot's binder over those variables, as its system environment. */
  static Binder binder(List<Object> env) {
    Map<String, Object> source = new LinkedHashMap<>(variables(env));
    return new Binder(ConfigurationPropertySources.from(new SystemEnvironmentPropertySource(
        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, source)));
  }

  /** The property's bound value, or null when no variable binds to it. */
  static String property(List<Object> env, String property) {
    return binder(env).bind(property, String.class).orElse(null);
  }

  private static String expand(String value, Map<String, String> defined) {
    Matcher m = REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      // Kubernetes leaves a reference to an undefined variable as it is.
      String replacement = defined.getOrDefault(m.group(1), m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    return m.appendTail(out).toString();
  }
}
