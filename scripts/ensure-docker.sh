#!/usr/bin/env bash
# Makes a Docker daemon answer: installs Debian's docker.io and debootstrap when missing and starts
# dockerd when none answers. With DOCKER_HOST set to a remote Docker daemon, only checks that it answers.
# Then builds physarum's base sandbox image if the Docker daemon lacks it (content-hashed, once per
# machine; PHYSARUM_SKIP_BASE_IMAGE=1 skips this step).
set -euo pipefail
cd "$(dirname "$0")/.."

base_image() {
  if [ -n "${PHYSARUM_SKIP_BASE_IMAGE:-}" ] || [ ! -x node_modules/.bin/tsx ]; then return 0; fi
  if ! command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null
  fi
  node_modules/.bin/tsx sandboxes/ensure-base-image.ts >/dev/null
}

if docker info >/dev/null 2>&1; then base_image; exit 0; fi
if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
  echo "ensure-docker: DOCKER_HOST=$DOCKER_HOST does not answer" >&2; exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io and debootstrap" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q docker.io debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "ensure-docker: starting dockerd" >&2
  mkdir -p /var/log
  # Appended, not truncated: a daemon that died earlier leaves its last words for whoever restarts it.
  nohup dockerd >>/var/log/physarum-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then base_image; exit 0; fi
    sleep 0.5
  done
  echo "ensure-docker: dockerd did not answer within 30 s; see /var/log/physarum-dockerd.log" >&2
  exit 1
fi
base_image
