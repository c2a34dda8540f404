#!/bin/sh
# Every workspace crate packages and would publish, in dependency order, without uploading.
# Reads the crates.io index (network); the offline part is tests/distribution.rs
# (every_crate_is_publishable). `--no-verify` skips building each packaged crate from scratch
# (minutes on a small machine); drop it to build them too.
set -eu
cd "$(dirname "$0")/.."
cargo publish --dry-run --workspace --no-verify "$@"
