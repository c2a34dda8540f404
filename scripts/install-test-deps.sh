#!/usr/bin/env bash
# Installs what the test suite needs, from Debian's packages, when it is missing.
# docker-registry (distribution 2.8), containerd 1.6, dockerd 20.10 (docker.io) and podman 4.3 are
# started by the tests themselves, on loopback or unix sockets in temp dirs, with private state.
# Tests that need a tool skip without it on a laptop, and fail without it under CI=true.
set -euo pipefail

need=()
for pair in skopeo:skopeo umoci:umoci buildah:buildah zstd:zstd xz:xz-utils runc:runc crun:crun docker-registry:docker-registry podman:podman containerd:containerd dockerd:docker.io; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  # runc lives in /usr/sbin, which is not on every user's PATH.
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || need+=("$pkg")
done

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
