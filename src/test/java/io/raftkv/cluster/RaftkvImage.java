package io.raftkv.cluster;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The node image, built by Testcontainers from the repository's {@code Dockerfile} and the packaged
 * jar ({@code -Draftkv.jar}), once per JVM and shared by every {@link ContainerCluster} in it.
 *
 * <p>The base image is {@code RAFTKV_BASE_IMAGE} when set (CI sets {@code raftkv-base:17}, built
 * offline by {@code docker/build-base-image.sh}), else {@code raftkv-base:17} when that image exists
 * locally, else the Dockerfile's own default ({@code eclipse-temurin:17-jre}, pulled from a registry).
 *
 * <p>Each JVM tags its own image ({@code raftkv-it:jvm<pid>}) and removes the tag when it exits, so
 * concurrent test runs on one engine never replace or delete each other's image, and the engine's
 * layer cache still makes the second build of the same jar instant. The Dockerfile's {@code extract}
 * stage is built under a tag of its own first: the classic builder would otherwise leave that stage
 * behind as an untagged image (jar plus extracted layers) on every run.
 */
final class RaftkvImage {
    static final String DEFAULT_BASE = "raftkv-base:17";
    private static String built;
    private static String extractTag;

    private RaftkvImage() {
    }

    /** The image name, building it on first use, or again when it disappeared from the engine. */
    static synchronized String get() {
        DockerClient docker = DockerClientFactory.instance().client();
        if (built != null && exists(docker, built)) {
            return built;
        }
        Path jar = Path.of(System.getProperty("raftkv.jar", "target/raftkv.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: container tests run after `./mvnw package` (use ./mvnw verify)");
        }
        Path dockerfile = dockerfile(jar);
        String owner = ContainerCluster.OWNER;
        String tag = "raftkv-it:jvm" + ProcessHandle.current().pid();
        String extract = tag + "-extract";
        String base = baseImage(docker);
        long started = System.nanoTime();
        build(new ImageFromDockerfile(extract, false).withTarget("extract"), dockerfile, jar, base, owner);
        build(new ImageFromDockerfile(tag, false), dockerfile, jar, base, owner);
        ContainerCluster.say("built image %s from %s (base %s) in %d ms", tag, dockerfile,
                base == null ? "the Dockerfile's default" : base, (System.nanoTime() - started) / 1_000_000);
        built = tag;
        extractTag = extract;
        return tag;
    }

    private static void build(ImageFromDockerfile image, Path dockerfile, Path jar, String base, String owner) {
        image.withFileFromPath("Dockerfile", dockerfile)
                .withFileFromPath("target/raftkv.jar", jar)
                .withBuildImageCmdModifier(cmd -> cmd.withLabels(Map.of(ContainerCluster.LABEL_OWNER, owner)));
        if (base != null) {
            image.withBuildArg("BASE_IMAGE", base);
        }
        try {
            image.get();
        } catch (Exception e) {
            throw new IllegalStateException("building the raftkv image from " + dockerfile + " failed"
                    + (base == null ? "" : " (base image " + base + ")") + ": " + e.getMessage(), e);
        }
    }

    /** The Dockerfile next to target/ (the repository root), or -Draftkv.dockerfile. */
    private static Path dockerfile(Path jar) {
        String explicit = System.getProperty("raftkv.dockerfile");
        Path p = explicit != null ? Path.of(explicit)
                : jar.getParent() != null && jar.getParent().getParent() != null
                ? jar.getParent().getParent().resolve("Dockerfile") : Path.of("Dockerfile");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("no Dockerfile at " + p.toAbsolutePath() + " (set -Draftkv.dockerfile)");
        }
        return p.toAbsolutePath();
    }

    private static String baseImage(DockerClient docker) {
        String env = System.getenv("RAFTKV_BASE_IMAGE");
        if (env != null && !env.isBlank()) {
            if (!exists(docker, env)) {
                ContainerCluster.say("base image %s is not on the engine; the build will try to pull it"
                        + " (docker/build-base-image.sh builds it offline)", env);
            }
            return env;
        }
        return exists(docker, DEFAULT_BASE) ? DEFAULT_BASE : null;
    }

    static boolean exists(DockerClient docker, String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * Untags this JVM's images (called when the JVM exits, after its clusters are gone); the engine
     * keeps layers that another tag or a container still uses.
     */
    static synchronized void remove() {
        DockerClient docker = DockerClientFactory.instance().client();
        for (String tag : new String[] {built, extractTag}) {
            if (tag == null) {
                continue;
            }
            try {
                docker.removeImageCmd(tag).withForce(false).exec();
            } catch (RuntimeException e) {
                // In use by a container, or already gone: nothing to do.
            }
        }
        built = null;
        extractTag = null;
    }
}
