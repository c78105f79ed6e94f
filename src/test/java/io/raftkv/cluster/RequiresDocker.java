package io.raftkv.cluster;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class that needs a Docker engine ({@link ContainerCluster}): without one it is
 * skipped with a message, or fails when {@code RAFTKV_REQUIRE_DOCKER=1} (CI). See {@link DockerRequirement}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("docker")
@ExtendWith(DockerRequirement.class)
public @interface RequiresDocker {
}
