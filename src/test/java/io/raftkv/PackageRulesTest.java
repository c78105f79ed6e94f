package io.raftkv;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package rules that each package-info.java states, checked on the main sources' text: which
 * raftkv packages a package may use, no cycle between packages, and a Raft core and node driver that
 * touch no files, sockets, threads, clocks or Spring (what lets the simulator run them deterministically).
 * It reads imports and fully qualified names, so a reference cannot slip past by skipping the import.
 */
class PackageRulesTest {
    private static final Path MAIN = Path.of("src/main/java/io/raftkv");

    /** What each package may use; "" is the root package. A package missing here fails the test. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("", Set.of()),
            Map.entry("raft", Set.of()),
            Map.entry("raft.storage", Set.of("raft")),
            Map.entry("kv", Set.of()),
            Map.entry("http", Set.of()),
            Map.entry("node", Set.of("raft", "raft.storage", "kv")),
            Map.entry("config", Set.of("node", "raft", "kv", "members")),
            Map.entry("members", Set.of("node", "raft")),
            Map.entry("ops", Set.of("node", "raft")),
            Map.entry("security", Set.of("config", "node", "kv", "http")),
            Map.entry("watch", Set.of("kv")),
            Map.entry("web", Set.of("config", "node", "watch", "raft", "kv", "security", "http")),
            Map.entry("peer", Set.of("config", "node", "raft", "http", "web")));

    /** The order of the root package-info.java: a package may use only packages after its own. */
    private static final List<String> LAYERS = List.of("", "peer", "web", "security", "ops", "config", "members", "node", "watch", "kv",
            "raft.storage", "raft", "http");

    /**
     * What deterministic code must never reach: files, sockets, threads, wall clocks, the framework.
     * A CompletableFuture is only an answer slot here; completing one runs no thread, only its
     * *Async methods would, and those are refused below.
     */
    private static final List<String> DETERMINISTIC_FORBIDDEN = List.of("java.io.File", "java.io.RandomAccessFile",
            "java.nio.file.", "java.nio.channels.", "java.net.", "java.util.concurrent.", "java.lang.Thread",
            "java.time.Clock", "java.time.Instant", "org.springframework.", "jakarta.");
    private static final Set<String> DETERMINISTIC_ALLOWED = Set.of("java.util.concurrent.CompletableFuture",
            "java.util.concurrent.CompletionException");
    private static final Pattern DETERMINISTIC_FORBIDDEN_CALLS = Pattern.compile(
            "System\\s*\\.\\s*(currentTimeMillis|nanoTime)|\\bThread\\s*\\.|new\\s+Thread\\b|Instant\\s*\\.\\s*now"
                    + "|\\bsynchronized\\b|\\w+Async\\s*\\(");
    /** node's thread-free driver and the interfaces it is stepped through, which the simulator runs as they are. */
    private static final Set<String> NODE_DRIVER = Set.of("NodeDriver.java", "Applier.java", "DirectApplier.java",
            "Outbox.java", "StateMachine.java", "KvApplied.java");
    /** The state machine is replayed on every replica: no framework, files or sockets in it. */
    private static final List<String> KV_FORBIDDEN = List.of("java.io.File", "java.nio.file.", "java.net.",
            "org.springframework.", "jakarta.");

    private static final Pattern RAFTKV_REF = Pattern.compile("\\bio\\.raftkv\\.((?:[a-z][a-z0-9_]*\\.)*)(?:[A-Z*])");
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+(?:\\.\\*)?)\\s*;", Pattern.MULTILINE);

    private record Source(Path path, String pkg, String code) {
    }

    private static List<Source> sources;

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            sources = new ArrayList<>();
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                sources.add(new Source(p, unit(MAIN.relativize(p.getParent()).toString().replace('/', '.')),
                        withoutCommentsAndStrings(Files.readString(p))));
            }
        }
    }

    @Test
    void everyPackageHasARuleAndAPackageInfo() {
        Set<String> packages = new TreeSet<>();
        sources.forEach(s -> packages.add(s.pkg()));
        assertThat(ALLOWED.keySet()).as("every package needs a line in ALLOWED").containsAll(packages);
        for (String pkg : packages) {
            assertThat(MAIN.resolve(pkg.replace('.', '/')).resolve("package-info.java"))
                    .as("package-info.java of io.raftkv.%s, which says what it owns and may not touch", pkg).exists();
        }
    }

    @Test
    void theRulesPointOnlyDownTheLayers() {
        assertThat(LAYERS).containsExactlyInAnyOrderElementsOf(ALLOWED.keySet());
        ALLOWED.forEach((pkg, allowed) -> assertThat(allowed).as("io.raftkv.%s may use only packages below it", pkg)
                .allMatch(used -> LAYERS.indexOf(used) > LAYERS.indexOf(pkg)));
    }

    @Test
    void packagesUseOnlyWhatTheirRulesAllow() {
        List<String> violations = new ArrayList<>();
        for (Source s : sources) {
            for (String used : uses(s)) {
                if (!used.equals(s.pkg()) && !ALLOWED.getOrDefault(s.pkg(), Set.of()).contains(used)) {
                    violations.add(MAIN.relativize(s.path()) + " (io.raftkv." + s.pkg() + ") uses io.raftkv." + used);
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void noCycleBetweenPackages() {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Source s : sources) {
            Set<String> out = graph.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
            uses(s).stream().filter(u -> !u.equals(s.pkg())).forEach(out::add);
        }
        assertThat(cycles(graph)).isEmpty();
    }

    @Test
    void theDeterministicCodeTouchesNoFilesSocketsThreadsClocksOrSpring() {
        List<String> violations = new ArrayList<>();
        for (Source s : sources.stream().filter(PackageRulesTest::deterministic).toList()) {
            forbiddenImports(s, DETERMINISTIC_FORBIDDEN, violations);
            Matcher m = DETERMINISTIC_FORBIDDEN_CALLS.matcher(s.code());
            while (m.find()) {
                violations.add(MAIN.relativize(s.path()) + " calls " + m.group());
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void theStateMachineUsesNoFrameworkFilesOrSockets() {
        List<String> violations = new ArrayList<>();
        sources.stream().filter(s -> s.pkg().equals("kv")).forEach(s -> forbiddenImports(s, KV_FORBIDDEN, violations));
        assertThat(violations).isEmpty();
    }

    @Test
    void theCheckSeesAForbiddenReferenceAndACycle() {
        Source planted = new Source(MAIN.resolve("raft/X.java"), "raft",
                withoutCommentsAndStrings("package io.raftkv.raft;\n// io.raftkv.web.Ignored in a comment\n"
                        + "import java.nio.file.Path;\nclass X { io.raftkv.raft.storage.DiskFile f; String s = \"io.raftkv.kv.No\"; }"));
        assertThat(uses(planted)).containsExactly("raft.storage");
        List<String> violations = new ArrayList<>();
        forbiddenImports(planted, DETERMINISTIC_FORBIDDEN, violations);
        assertThat(violations).hasSize(1);
        assertThat(cycles(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a")))).containsExactly("a -> b -> c -> a");
    }

    private static boolean deterministic(Source s) {
        return s.pkg().equals("raft") || s.pkg().equals("node") && NODE_DRIVER.contains(s.path().getFileName().toString());
    }

    private static Set<String> uses(Source s) {
        Set<String> used = new TreeSet<>();
        Matcher m = RAFTKV_REF.matcher(s.code());
        while (m.find()) {
            String pkg = m.group(1);
            used.add(unit(pkg.isEmpty() ? "" : pkg.substring(0, pkg.length() - 1)));
        }
        return used;
    }

    /** The units the rules speak of: the top-level packages, with raft.storage apart from the raft core. */
    private static String unit(String pkg) {
        if (pkg.equals("raft.storage") || pkg.startsWith("raft.storage.")) {
            return "raft.storage";
        }
        int dot = pkg.indexOf('.');
        return dot < 0 ? pkg : pkg.substring(0, dot);
    }

    private static void forbiddenImports(Source s, List<String> forbidden, List<String> violations) {
        Matcher m = IMPORT.matcher(s.code());
        while (m.find()) {
            String imported = m.group(1);
            if (forbidden.stream().anyMatch(imported::startsWith) && !DETERMINISTIC_ALLOWED.contains(imported)) {
                violations.add(MAIN.relativize(s.path()) + " imports " + imported);
            }
        }
    }

    /** Each cycle once, as "a -> b -> a", found by a depth-first search from every package. */
    private static List<String> cycles(Map<String, Set<String>> graph) {
        Set<String> found = new TreeSet<>();
        for (String start : graph.keySet()) {
            walk(graph, start, new ArrayList<>(List.of(start)), found);
        }
        return new ArrayList<>(found);
    }

    private static void walk(Map<String, Set<String>> graph, String at, List<String> path, Set<String> found) {
        for (String next : graph.getOrDefault(at, Set.of())) {
            if (next.equals(path.get(0)) && path.get(0).equals(path.stream().min(String::compareTo).orElseThrow())) {
                found.add(String.join(" -> ", path) + " -> " + next);
            } else if (!path.contains(next)) {
                path.add(next);
                walk(graph, next, path, found);
                path.remove(path.size() - 1);
            }
        }
    }

    /** Comments and string or char literals mention packages without using them; a small scanner drops them. */
    private static String withoutCommentsAndStrings(String java) {
        StringBuilder code = new StringBuilder(java.length());
        int i = 0;
        while (i < java.length()) {
            char c = java.charAt(i);
            if (java.startsWith("//", i)) {
                i = java.indexOf('\n', i) < 0 ? java.length() : java.indexOf('\n', i);
            } else if (java.startsWith("/*", i)) {
                i = java.indexOf("*/", i + 2) < 0 ? java.length() : java.indexOf("*/", i + 2) + 2;
                code.append(' ');
            } else if (java.startsWith("\"\"\"", i)) {
                i = java.indexOf("\"\"\"", i + 3) < 0 ? java.length() : java.indexOf("\"\"\"", i + 3) + 3;
                code.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < java.length() && java.charAt(i) != c) {
                    i += java.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                code.append(c).append(c);
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }
}
