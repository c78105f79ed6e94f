# raftkv node image. Build after `./mvnw package` (it copies target/raftkv.jar):
#   docker build -t raftkv:dev .
#   docker build --build-arg BASE_IMAGE=raftkv-base:17 -t raftkv:dev .   # offline, see docker/build-base-image.sh
#
# Kept to what Docker's classic builder understands (no `# syntax=` line, no heredocs, no --chmod):
# a syntax line makes BuildKit pull a frontend image, and Testcontainers builds with the classic
# builder on machines that reach no registry.
ARG BASE_IMAGE=eclipse-temurin:17-jre

FROM ${BASE_IMAGE} AS extract
WORKDIR /extract
COPY target/raftkv.jar raftkv.jar
# Exec form, so the stage needs no shell in the base image.
RUN ["java", "-Djarmode=tools", "-jar", "raftkv.jar", "extract", "--layers", "--destination", "layers"]
# An empty directory to copy in as /data owned by the node's user: WORKDIR creates it without
# needing mkdir, and the final stage then needs no RUN at all.
WORKDIR /extract/data

FROM ${BASE_IMAGE}
# One image layer per jar layer, least often changed first, so a code change rebuilds and ships only
# the last one. The files stay owned by root: the node cannot rewrite its own code.
WORKDIR /app
COPY --from=extract /extract/layers/dependencies/ ./
COPY --from=extract /extract/layers/spring-boot-loader/ ./
COPY --from=extract /extract/layers/snapshot-dependencies/ ./
COPY --from=extract /extract/layers/application/ ./
COPY --from=extract --chown=10001:10001 /extract/data /data

# A numeric user needs no useradd (the offline base has none) and lets Kubernetes' runAsNonRoot
# verify the user is not root without an /etc/passwd lookup.
USER 10001:10001
ENV RAFTKV_DATA_DIR=/data
VOLUME /data
# 8080: client API and actuator; 7080: the internal /raft endpoints for peers only.
EXPOSE 8080 7080

# The heap follows the container's memory limit instead of the host's, leaving a quarter for
# metaspace, thread stacks and direct buffers. After an OutOfMemoryError a node's state is
# unknowable, so it exits and restarts from its durable log rather than limp on.
# Exec form makes the JVM PID 1, so SIGTERM reaches it and a leader can hand over leadership.
# More JVM flags: JDK_JAVA_OPTIONS. Arguments after the image name go to the application.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/raftkv.jar"]
