#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, or exits non-zero saying why.
#
# Machines here start without an engine and reach no container registry, but Debian's docker.io
# package installs and its dockerd runs as root. CI calls this before the container tests so that a
# broken engine fails the run instead of silently skipping those tests.
#
# Idempotent: when `docker info` already answers it returns at once.
# Environment:
#   RAFTKV_DOCKER_WAIT_SECONDS  how long to wait for each dockerd start (default 60)
#   RAFTKV_DOCKERD_LOG          where a dockerd started here logs (default /var/log/raftkv-dockerd.log)
set -euo pipefail

wait_seconds="${RAFTKV_DOCKER_WAIT_SECONDS:-60}"
dockerd_log="${RAFTKV_DOCKERD_LOG:-/var/log/raftkv-dockerd.log}"

log() { echo "ensure-docker: $*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  log "engine already answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  log "dockerd or the docker client is missing: installing Debian's docker.io"
  apt_log="$(mktemp)"
  if ! { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a \
      apt-get install -y -q docker.io; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    rm -f "$apt_log"
    log "installing docker.io failed"
    exit 1
  fi
  rm -f "$apt_log"
fi

# A previous dockerd that died uncleanly leaves its pid file behind and the next one refuses to
# start; it is only stale when no process has that pid.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  as_root rm -f /var/run/docker.pid
fi

# Starts dockerd with the given flags, detached from this script so it outlives it, and waits for
# it to answer. Returns non-zero when it died or did not answer in time (and stops it then).
try_start() {
  log "starting dockerd${*:+ $*} (log: $dockerd_log)"
  as_root setsid dockerd "$@" >>"$dockerd_log" 2>&1 </dev/null &
  local pid=$! started=$SECONDS
  local deadline=$((SECONDS + wait_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if engine_answers; then
      log "engine answers after $((SECONDS - started)) s"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd${*:+ $*} exited; last lines of its log:"
      tail -n 15 "$dockerd_log" >&2 || true
      return 1
    fi
    sleep 1
  done
  log "dockerd${*:+ $*} did not answer within ${wait_seconds} s; stopping it"
  as_root kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

# A dockerd already running but not answering (still starting, say) gets the deadline too before
# a second one is started next to it.
if pid="$(cat /var/run/docker.pid 2>/dev/null)" && kill -0 "$pid" 2>/dev/null; then
  log "dockerd (pid $pid) is running but does not answer yet; waiting"
  deadline=$((SECONDS + wait_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    engine_answers && exit 0
    sleep 1
  done
  log "dockerd (pid $pid) did not answer within ${wait_seconds} s"
  exit 1
fi

# The defaults work on these machines (overlay2, iptables). Inside some containers overlayfs cannot
# be stacked or iptables is not allowed; the vfs driver and no iptables rules are slower or less
# isolated, but are enough to build images and publish ports on localhost.
try_start && exit 0
try_start --storage-driver=vfs && exit 0
try_start --storage-driver=vfs --iptables=false --ip-masq=false && exit 0

log "could not make a Docker engine answer; see $dockerd_log"
exit 1
