#!/usr/bin/env bash
# Benchmark: `shipcheck workflows` and `shipcheck dockerfile` on a generated repository of 300
# workflows (16-combination matrices, two events each) and 300 Dockerfiles. No peer tool
# evaluates build platforms per trigger, so this measures shipcheck alone (no target is set).
#
# Then all three repository commands (workflows, dockerfile, package) on the 30 real commits of
# corpus/repos, in total (bench/real_repos_all.sh): issue 15 asks for under 3 s.
#
# usage: bench/workflows.sh [RUNS]     (default 10)
#        BASELINE=/path/to/old/shipcheck bench/workflows.sh   adds the old build to the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
. bench/tools.sh
need_tools hyperfine
cargo build --release --locked -q
repo=bench/work/workflows-repo
[ -d "$repo" ] || python3 bench/gen_workflows.py "$repo" 300
sc=target/release/shipcheck
names=() cmds=()
for bin in "$sc" ${BASELINE:+"$BASELINE"}; do
  who=shipcheck; [ "$bin" = "$sc" ] || who=baseline
  names+=("$who workflows" "$who dockerfile")
  cmds+=("$bin workflows $repo --format json -o bench/work/workflows-out.json"
         "$bin dockerfile --repo $repo --format json -o bench/work/workflows-out.json")
done
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --warmup 2 --runs "$runs" -i -N --export-json bench/work/workflows.json "${args[@]}"
: > bench/work/workflows-rss.txt
for cmd in "${cmds[@]}"; do
  { /usr/bin/time -f '%M' $cmd || true; } 2>> bench/work/workflows-rss.txt
done
python3 - <<'PY'
import json, statistics
res = json.load(open("bench/work/workflows.json"))["results"]
rss = [l.strip() for l in open("bench/work/workflows-rss.txt") if l.strip().isdigit()]
print("| command | median ms | peak RSS MiB |\n|---|---|---|")
for r, k in zip(res, rss):
    print(f"| {r['command']} | {statistics.median(r['times']) * 1000:.0f} | {int(k) / 1024:.1f} |")
PY
repos=${SHIPCHECK_CORPUS:-../shared/corpus}/repos
if [ -d "$repos" ]; then
  hyperfine --warmup 1 --runs "$runs" -N --export-json bench/work/real-repos.json \
    -n "shipcheck: 3 commands x $(ls -d "$repos"/*@*/ | wc -l) real repositories" \
    "bash bench/real_repos_all.sh $sc $repos"
  python3 - <<'PY'
import json, statistics
r = json.load(open("bench/work/real-repos.json"))["results"][0]
t = r["times"]
print(f"| {r['command']} | median {statistics.median(t):.2f} s | min {min(t):.2f} s | max {max(t):.2f} s |")
PY
fi
