package io.raftkv.web;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * openapi.yaml means what it says. In a flow mapping ({@code {type: string, description: a, b}}) an
 * unquoted comma ends the value: the rest becomes a key of its own with no value, and generators
 * and linters read a shorter description plus a stray property. The contract has no null anywhere,
 * so a null is always that mistake.
 */
class OpenApiYamlTest {
    @Test
    void noValueIsCutShortByAnUnquotedComma() throws Exception {
        Object api = new Yaml().load(Files.readString(Path.of("openapi.yaml")));
        List<String> nulls = new ArrayList<>();
        collectNulls(api, "", nulls);
        assertThat(nulls).as("keys without a value (quote the text that holds a comma)").isEmpty();
    }

    @Test
    void theCheckSeesACutDescription() {
        List<String> nulls = new ArrayList<>();
        collectNulls(new Yaml().load("a: {type: string, description: one, two}"), "", nulls);
        assertThat(nulls).containsExactly("/a/two");
    }

    private static void collectNulls(Object node, String path, List<String> nulls) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                if (v == null) {
                    nulls.add(path + "/" + k);
                }
                collectNulls(v, path + "/" + k, nulls);
            });
        } else if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                collectNulls(list.get(i), path + "/" + i, nulls);
            }
        }
    }

    /** The role values the contract allows in a schema's {@code role} property. */
    @SuppressWarnings("unchecked")
    static List<String> roleEnum(String schema) throws IOException {
        Map<String, Object> api = new Yaml().load(Files.readString(Path.of("openapi.yaml")));
        Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) api.get("components")).get("schemas");
        Map<String, Object> props = (Map<String, Object>) ((Map<String, Object>) schemas.get(schema)).get("properties");
        return (List<String>) ((Map<String, Object>) props.get("role")).get("enum");
    }
}
