#!/usr/bin/env bash
# Builds a local Debian image with a Java 17 runtime, for machines that reach no container registry
# and so cannot pull eclipse-temurin:17-jre. The Dockerfile takes it as BASE_IMAGE.
#
# Idempotent: an image of the same name built by the same recipe is reused (about 40 s saved).
# Needs a Docker engine (docker/ensure-docker.sh) and root for debootstrap.
# Environment:
#   RAFTKV_BASE_IMAGE     image name to build (default raftkv-base:17)
#   RAFTKV_DEBIAN_MIRROR  Debian mirror for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail

image="${RAFTKV_BASE_IMAGE:-raftkv-base:17}"
mirror="${RAFTKV_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
# Bump when the packages or the import changes below change, so machines that kept an image built
# the old way rebuild it instead of reusing it.
recipe=2

log() { echo "build-base-image: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# Running java in it proves both that the image has a working JRE and that the engine can start
# containers, which `docker info` alone does not show.
check_image() {
  docker run --rm --network none "$image" java -version 2>&1 | sed 's/^/build-base-image:   /' >&2
}

existing="$(docker image inspect --format '{{ index .Config.Labels "io.raftkv.base-recipe" }}' "$image" 2>/dev/null || true)"
old_id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
if [ "$existing" = "$recipe" ]; then
  log "reusing $image (recipe $recipe)"
  check_image
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  log "debootstrap is missing: installing it"
  { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a \
      apt-get install -y -q debootstrap; } >/dev/null
fi

rootfs="$(mktemp -d /var/tmp/raftkv-base.XXXXXX)"
# mktemp makes the directory 0700 and tar records that mode for the image's "/". Docker's import
# happens to ignore it, but another importer would make a root the node's non-root user cannot enter.
chmod 0755 "$rootfs"
cleanup() {
  # debootstrap mounts /proc and /sys inside the tree and leaves them mounted when it fails;
  # unmount them first so removing the tree cannot reach into the host's.
  { grep -o " $rootfs/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do as_root umount -l "$m" || true; done
  as_root rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

started=$SECONDS
log "debootstrap $suite with openjdk-17-jre-headless from $mirror into $rootfs"
as_root debootstrap --variant=minbase --include=openjdk-17-jre-headless "$suite" "$rootfs" "$mirror" \
  > "$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# Downloaded packages, package lists and docs are of no use at run time.
as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

as_root tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change "LABEL io.raftkv.base-recipe=$recipe" \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)" \
  --change 'CMD ["java", "-version"]' \
  - "$image" >/dev/null
# The image built by an older recipe would otherwise linger untagged; one still in use stays.
[ -n "$old_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
log "built $image in $((SECONDS - started)) s ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%d MB", $1/1000000}'))"
check_image
