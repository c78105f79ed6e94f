package io.raftkv.cluster;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

import java.util.Locale;

/**
 * Decides whether container tests run: where a Docker engine answers they do; where none does
 * they are skipped with a message saying why (a developer's machine without Docker), unless
 * {@code RAFTKV_REQUIRE_DOCKER=1} (set by {@code .ci/run}), in which case they run and fail with
 * that message, so CI can never pass by silently skipping them. Use it through {@link RequiresDocker}.
 *
 * <p>Where no registry is reachable, Testcontainers needs {@code TESTCONTAINERS_RYUK_DISABLED=true}
 * (Ryuk's image cannot be pulled; {@link ContainerCluster} cleans up after itself instead) and
 * {@code TESTCONTAINERS_HOST_OVERRIDE=localhost}. It reads both from the environment only;
 * {@code .ci/run} exports them, and the skip message reminds a developer who has not.
 */
public final class DockerRequirement implements ExecutionCondition, BeforeAllCallback {
    public static final String REQUIRE_ENV = "RAFTKV_REQUIRE_DOCKER";

    private static boolean checked;
    private static String problem;

    /** Whether the environment demands that container tests run ({@code RAFTKV_REQUIRE_DOCKER=1}). */
    public static boolean required() {
        String v = System.getenv(REQUIRE_ENV);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
    }

    /** Null when {@link ContainerCluster} can run here, else why not. Checked once per JVM. */
    public static synchronized String problem() {
        if (!checked) {
            problem = check();
            checked = true;
        }
        return problem;
    }

    private static String check() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return "container tests need a Linux host running the Docker engine (they reach the containers at their"
                    + " bridge addresses), not " + System.getProperty("os.name");
        }
        try {
            DockerClientFactory.instance().client();
            return null;
        } catch (Throwable e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String hint = "true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED")) ? ""
                    : "; where no registry is reachable, also export TESTCONTAINERS_RYUK_DISABLED=true and"
                    + " TESTCONTAINERS_HOST_OVERRIDE=localhost (as .ci/run does)";
            return "no usable Docker engine (" + e.getMessage() + (root != e ? "; " + root : "") + ")"
                    + "; docker/ensure-docker.sh installs and starts one" + hint;
        }
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String p = problem();
        if (p == null) {
            return ConditionEvaluationResult.enabled("a Docker engine answers");
        }
        if (required()) {
            return ConditionEvaluationResult.enabled(REQUIRE_ENV + " is set, so the container tests run (and fail): " + p);
        }
        String why = "container tests skipped: " + p + " (" + REQUIRE_ENV + "=1 makes them fail instead, as in CI)";
        if (context.getTestMethod().isEmpty()) {
            ContainerCluster.say("%s: %s", context.getDisplayName(), why);
        }
        return ConditionEvaluationResult.disabled(why);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String p = problem();
        if (p != null) {
            throw new AssertionError(REQUIRE_ENV + " is set but the container tests cannot run: " + p);
        }
    }

    /**
     * Skips the running test when {@code ok} is false (e.g. network faults unsupported here), or
     * fails it when container tests are required.
     */
    public static void assume(boolean ok, String why) {
        if (ok) {
            return;
        }
        if (required()) {
            throw new AssertionError(REQUIRE_ENV + " is set but " + why);
        }
        Assumptions.abort(why);
    }
}
