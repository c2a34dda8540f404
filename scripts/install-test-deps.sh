#!/usr/bin/env bash
# Installs what the test suite needs, from Debian's packages, when it is missing.
# docker-registry is distribution 2.8, which the registry tests start on loopback themselves.
# Tests that need a tool skip without it on a laptop, and fail without it under CI=true.
set -euo pipefail

need=()
for pair in skopeo:skopeo umoci:umoci buildah:buildah zstd:zstd xz:xz-utils runc:runc crun:crun docker-registry:docker-registry; do
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
