#!/usr/bin/env bash
# Benchmark: `shipcheck runtime` probing every installed runtime (target: under 200 ms wall in
# total). Also times the bare process start-up of the probes' commands, the floor.
#
# usage: bench/runtime.sh [RUNS]     (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
. bench/tools.sh
need_tools hyperfine
cargo build --release --locked -q
mkdir -p bench/work
sc=target/release/shipcheck
echo "runtimes found:"; { $sc runtime --format json || true; } | python3 -c 'import json,sys; [print(" ", c["input"], c["facts"].get("version","")) for c in json.load(sys.stdin)["checked"]]'
# Sequential floor: every probe command, one after another, for each installed runtime.
cat > bench/work/runtime-floor.sh <<'SH'
for rt in $(command -v runc crun youki runsc krun 2>/dev/null; ls /usr/sbin/runc 2>/dev/null); do
  $rt --version; $rt features; $rt --help
  for s in run create exec restore checkpoint delete kill update; do $rt $s --help; done
  $rt run --keep --help; $rt --log-format json run --help; $rt restore -no-subreaper --help
  $rt create --no-new-keyring --help; $rt run --bogus-flag --help
done >/dev/null 2>&1 || true
SH
hyperfine --warmup 3 --runs "$runs" -i --export-json bench/work/runtime.json \
  -n "shipcheck runtime (all installed)" "$sc runtime" \
  -n "the same commands, sequential shell" "bash bench/work/runtime-floor.sh"
python3 - <<'PY'
import json, statistics
res = json.load(open("bench/work/runtime.json"))["results"]
for r in res:
    print(f"| {r['command']} | {statistics.median(r['times'])*1000:.0f} | {min(r['times'])*1000:.0f} | {max(r['times'])*1000:.0f} |")
PY
