#!/usr/bin/env bash
# Benchmark: `shipcheck image` against skopeo, oci-image-tool and the single-core floor, on
# the same ≥1 GiB multi-layer gzip image, in one run. Writes bench/work/image-results.md,
# which is pasted into docs/BENCHMARKS.md with the date and machine.
#
# usage: bench/image.sh [RUNS]      (default 5 runs per command; medians are reported)
#        BASELINE=/path/to/old/shipcheck bench/image.sh   adds the old build's rows to the same run,
#        to show a change does not regress (build the old commit in a git worktree).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=bench/work
mkdir -p "$work"

. bench/tools.sh
need_tools hyperfine skopeo oci-image-tool openssl gzip

cargo build --release --locked -q
[ -f "$work/img/image.tar" ] || python3 bench/gen_image.py "$work/img"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"

sc=target/release/shipcheck
img=$work/img
declare -a names cmds
names+=("shipcheck image (docker-archive tar)");   cmds+=("$sc image $img/image.tar")
names+=("shipcheck image (OCI layout dir)");       cmds+=("$sc image oci:$img/layout")
if [ -n "${BASELINE:-}" ]; then
  names+=("baseline image (docker-archive tar)");  cmds+=("$BASELINE image $img/image.tar")
  names+=("baseline image (OCI layout dir)");      cmds+=("$BASELINE image oci:$img/layout")
fi
names+=("skopeo copy docker-archive: -> oci:");    cmds+=("rm -rf $work/skopeo-out && skopeo --policy $work/policy.json copy -q docker-archive:$img/image.tar oci:$work/skopeo-out:bench")
names+=("oci-image-tool validate (layout)");       cmds+=("oci-image-tool validate --type image --ref name=bench $img/layout")
names+=("floor: openssl, then gzip -dc into openssl");    cmds+=("bash bench/floor.sh $img/layout")

args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --warmup 1 --runs "$runs" -i --export-json "$work/image.json" "${args[@]}"

# Peak RSS of one run each.
: > "$work/image-rss.txt"
for i in "${!cmds[@]}"; do
  kib=$( { /usr/bin/time -f '%M' bash -c "${cmds[$i]} >/dev/null 2>&1" || true; } 2>&1 | tail -1)
  printf '%s\t%s\n' "${names[$i]}" "$kib" >> "$work/image-rss.txt"
done

python3 - "$work" <<'PY'
import json, sys, statistics, os
work = sys.argv[1]
res = json.load(open(f"{work}/image.json"))["results"]
rss = dict(l.rstrip("\n").split("\t") for l in open(f"{work}/image-rss.txt"))
med = {r["command"]: statistics.median(r["times"]) for r in res}
skopeo = next(v for k, v in med.items() if k.startswith("skopeo"))
floor = next(v for k, v in med.items() if k.startswith("floor"))
size = sum(os.path.getsize(os.path.join(work, "img/layout/blobs/sha256", f)) for f in os.listdir(os.path.join(work, "img/layout/blobs/sha256")))
lines = [f"Image: {size / (1 << 30):.2f} GiB of blobs (bench/gen_image.py defaults), {len(res[0]['times'])} runs each, warm page cache.", "",
         "| command | median s | min s | max s | vs skopeo | vs floor | peak RSS MiB |", "|---|---|---|---|---|---|---|"]
for r in res:
    m = med[r["command"]]
    lines.append(f"| {r['command']} | {m:.2f} | {min(r['times']):.2f} | {max(r['times']):.2f} | {skopeo / m:.2f}x faster | {m / floor:.2f}x | {int(rss[r['command']]) / 1024:.1f} |")
open(f"{work}/image-results.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
