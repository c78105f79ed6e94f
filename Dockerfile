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
# Class data sharing: a training run starts the application context once (no port is bound, no peer
# asked) and records the classes it loaded; every node then maps them ready-parsed and verified instead
# of reading them from the jars, which halves the CPU a node spends starting. The archive is bound to
# these jar paths and this JVM: anything else makes the JVM ignore it and start the slow way.
RUN ["java", "-XX:ArchiveClassesAtExit=/app/raftkv.jsa", "-Dspring.context.exit=onRefresh", "-jar", "/app/raftkv.jar", "--raftkv.data-dir=/tmp/cds-training"]

# A numeric user needs no useradd (the offline base has none) and lets Kubernetes' runAsNonRoot
# verify the user is not root without an /etc/passwd lookup.
USER 10001:10001
ENV RAFTKV_DATA_DIR=/data
VOLUME /data
# 8080: client API and actuator; 7080: the internal /raft endpoints for peers only.
EXPOSE 8080 7080

# The heap follows the container's memory limit instead of the host's, leaving the rest for what the
# JVM needs besides the heap (metaspace, compiled code, thread stacks, buffers, the mapped archive);
# the README's "Memory and start-up" has the budget, and a node warns at start-up when it does not fit.
# The serial collector: on a node's one or two cores it answered with the lowest p99 (measured with
# bin/raftkv-bench; G1's concurrent threads compete with the Raft and request threads). After an
# OutOfMemoryError a node's state is unknowable, so it exits and restarts from its durable log.
# Exec form makes the JVM PID 1, so SIGTERM reaches it and a leader can hand over leadership.
# More JVM flags: JDK_JAVA_OPTIONS (an -Xmx there replaces the percentage; another collector needs
# -XX:-UseSerialGC before it). Arguments after the image name go to the application.
# The Tier4 thresholds (ten times the defaults) keep the optimizing compiler off the code that runs
# only while Spring starts (a node alone on two cores: ready in 3.8 s instead of 4.3, 4.9 CPU-seconds
# instead of 6.2); the request and Raft paths pass them within seconds of load.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-XX:+UseSerialGC", "-XX:SharedArchiveFile=/app/raftkv.jsa", "-XX:+ExitOnOutOfMemoryError", \
  "-XX:Tier4InvocationThreshold=50000", "-XX:Tier4MinInvocationThreshold=6000", "-XX:Tier4CompileThreshold=150000", "-XX:Tier4BackEdgeThreshold=400000", \
  "-jar", "/app/raftkv.jar"]
