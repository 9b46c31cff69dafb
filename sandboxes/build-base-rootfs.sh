#!/usr/bin/env bash
# Builds the root filesystem of physarum's base sandbox image into $1:
#   debootstrap --variant=minbase of Debian <suite> from <mirror>, plus <packages> (comma-separated),
#   a non-root user `sandbox` (uid/gid 1000) owning /workspace, and no package caches.
# sandboxes/base-image.ts hashes this file into the image tag, so any edit here builds a new image.
set -euo pipefail
rootfs=$1 suite=$2 mirror=$3 packages=$4

if [ "$(id -u)" != 0 ]; then echo "build-base-rootfs: debootstrap needs root" >&2; exit 1; fi
command -v debootstrap >/dev/null || { echo "build-base-rootfs: debootstrap is not installed (scripts/ensure-docker.sh installs it)" >&2; exit 1; }

debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >&2

cd "$rootfs"
echo 'sandbox:x:1000:1000:physarum sandbox:/home/sandbox:/bin/bash' >>etc/passwd
echo 'sandbox:x:1000:' >>etc/group
echo 'sandbox:*:20000:0:99999:7:::' >>etc/shadow
mkdir -p home/sandbox workspace
chown 1000:1000 home/sandbox workspace
# Package caches and docs only cost pull and fork time inside sandboxes.
rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* usr/share/doc/* usr/share/man/* usr/share/info/*
