#!/usr/bin/env bash
# Benchmark: `shipcheck diagnose` against `rg -c -f patterns.txt` (ripgrep from Debian) with the
# same patterns (every built-in signature's regex), on a ≥1 GiB log, in one run.
#
# usage: bench/diagnose.sh [RUNS]     (default 5)
#        BASELINE=/path/to/old/shipcheck bench/diagnose.sh   adds the old build to the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. bench/tools.sh
need_tools hyperfine rg:ripgrep
cargo build --release --locked -q
mkdir -p bench/work
log=bench/work/ci.log
[ -f "$log" ] || python3 bench/gen_log.py "$log"
sc=target/release/shipcheck
$sc diagnose-patterns > bench/work/patterns.txt
size=$(stat -c %s "$log")
names=("shipcheck diagnose") cmds=("$sc diagnose $log --format json")
if [ -n "${BASELINE:-}" ]; then names+=("baseline diagnose"); cmds+=("$BASELINE diagnose $log --format json"); fi
names+=("rg -c -f patterns.txt"); cmds+=("rg -c -f bench/work/patterns.txt $log")
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --warmup 1 --runs "$runs" -i --export-json bench/work/diagnose.json "${args[@]}"
: > bench/work/diagnose-rss.txt
for cmd in "${cmds[@]}"; do
  { /usr/bin/time -f '%M' bash -c "$cmd >/dev/null 2>&1" || true; } 2>> bench/work/diagnose-rss.txt
done
python3 - "$size" <<'PY'
import json, statistics, sys
size = int(sys.argv[1])
res = json.load(open("bench/work/diagnose.json"))["results"]
rss = [l.strip() for l in open("bench/work/diagnose-rss.txt") if l.strip().isdigit()]
print(f"log: {size / (1 << 20):.0f} MiB")
print("| command | median s | MB/s | peak RSS MiB |\n|---|---|---|---|")
for r, k in zip(res, rss):
    m = statistics.median(r["times"])
    print(f"| {r['command']} | {m:.2f} | {size / m / 1e6:.0f} | {int(k) / 1024:.1f} |")
PY
