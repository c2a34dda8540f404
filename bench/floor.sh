#!/usr/bin/env bash
# The single-core floor for verifying an image: hash every blob once, then decompress every
# layer and hash the result. One openssl or gzip process at a time.
set -euo pipefail
blobs="$1/blobs/sha256"
openssl dgst -sha256 "$blobs"/* >/dev/null
for f in "$blobs"/*; do
  if [ "$(head -c2 "$f" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
    gzip -dc "$f" | openssl dgst -sha256 >/dev/null
  fi
done
