#!/bin/sh
# Every workspace crate packages and would publish, in dependency order, without uploading.
# Reads the crates.io index (network); the offline part is tests/distribution.rs
# (every_crate_is_publishable). `--no-verify` skips building each packaged crate from scratch;
# `cargo package --workspace` builds all ten from their packages (7 minutes of wall time
# on the shared 2-core machine; it passed at the commit that added this note).
set -eu
cd "$(dirname "$0")/.."
cargo publish --dry-run --workspace --no-verify "$@"
