#!/usr/bin/env bash
# Benchmark: pushing and pulling a ≥1 GiB multi-layer image to and from a local registry, with
# `shipcheck push` / `shipcheck copy` against `skopeo copy`, in one hyperfine run. The registry is
# Debian's docker-registry (distribution 2.8) on loopback, storage in bench/work; push runs start
# from an empty registry (its storage is wiped before each run), pull runs from one that holds
# the image. Writes bench/work/registry-results.md, pasted into docs/BENCHMARKS.md.
#
# usage: bench/registry.sh [RUNS]      (default 5 runs per command; medians are reported)
#        BASELINE=/path/to/old/shipcheck bench/registry.sh   adds the old build to the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$PWD/bench/work
mkdir -p "$work"

. bench/tools.sh
need_tools hyperfine skopeo docker-registry

cargo build --release --locked -q
[ -f "$work/img/layout/index.json" ] || python3 bench/gen_image.py "$work/img"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"
img=$work/img/layout
sc=$PWD/target/release/shipcheck
sk="skopeo --policy $work/policy.json"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_registry() { # NAME -> sets REG_<NAME> host and starts it
  local name=$1 port dir
  port=$(free_port)
  dir=$work/registry-$name
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
  docker-registry serve "$dir/config.yml" >/dev/null 2>&1 &
  echo $! >> "$work/registry.pids"
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.1; done
  eval "REG_$name=127.0.0.1:$port"
}
: > "$work/registry.pids"
trap 'kill $(cat "$work/registry.pids") 2>/dev/null || true' EXIT
start_registry push
start_registry pull
# The pull registry holds the image once.
$sc push "oci:$img" "docker://$REG_pull/bench/image:1" >/dev/null

wipe="rm -rf $work/registry-push/data"
pulled=$work/pulled
declare -a names cmds preps
names+=("shipcheck push oci: -> registry");  preps+=("$wipe"); cmds+=("$sc push oci:$img docker://$REG_push/bench/image:1")
if [ -n "${BASELINE:-}" ]; then
  names+=("baseline push oci: -> registry"); preps+=("$wipe"); cmds+=("$BASELINE push oci:$img docker://$REG_push/bench/image:1")
  names+=("baseline copy registry -> oci:"); preps+=("rm -rf $pulled"); cmds+=("$BASELINE copy docker://$REG_pull/bench/image:1 oci:$pulled")
fi
names+=("skopeo copy oci: -> registry");     preps+=("$wipe"); cmds+=("$sk copy -q --dest-tls-verify=false oci:$img:bench docker://$REG_push/bench/image:1")
names+=("shipcheck copy registry -> oci:");  preps+=("rm -rf $pulled"); cmds+=("$sc copy docker://$REG_pull/bench/image:1 oci:$pulled")
names+=("skopeo copy registry -> oci:");     preps+=("rm -rf $pulled"); cmds+=("$sk copy -q --src-tls-verify=false docker://$REG_pull/bench/image:1 oci:$pulled:bench")

args=()
for i in "${!cmds[@]}"; do args+=(--prepare "${preps[$i]}" -n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --warmup 1 --runs "$runs" --export-json "$work/registry.json" "${args[@]}"

# Peak RSS of one more run each.
: > "$work/registry-rss.txt"
for i in "${!cmds[@]}"; do
  bash -c "${preps[$i]}"
  kib=$( { /usr/bin/time -f '%M' bash -c "${cmds[$i]} >/dev/null 2>&1"; } 2>&1 | tail -1)
  printf '%s\t%s\n' "${names[$i]}" "$kib" >> "$work/registry-rss.txt"
done

python3 - "$work" "$img" <<'PY'
import json, os, statistics, sys
work, img = sys.argv[1], sys.argv[2]
res = json.load(open(f"{work}/registry.json"))["results"]
rss = dict(l.rstrip("\n").split("\t") for l in open(f"{work}/registry-rss.txt"))
med = {r["command"]: statistics.median(r["times"]) for r in res}
blobs = os.path.join(img, "blobs/sha256")
size = sum(os.path.getsize(os.path.join(blobs, f)) for f in os.listdir(blobs))
lines = [f"Image: {size / (1 << 20):.0f} MiB of blobs in {len(os.listdir(blobs)) - 2} gzip layers (bench/gen_image.py defaults), "
         f"{len(res[0]['times'])} runs each after 1 warm-up, warm page cache.", "",
         "| command | median s | min s | max s | MB/s | skopeo ÷ this | peak RSS MiB |", "|---|---|---|---|---|---|---|"]
for r in res:
    m = med[r["command"]]
    peer = med["skopeo copy oci: -> registry"] if "-> registry" in r["command"] else med["skopeo copy registry -> oci:"]
    lines.append(f"| {r['command']} | {m:.2f} | {min(r['times']):.2f} | {max(r['times']):.2f} | {size / m / 1e6:.0f} | "
                 f"{peer / m:.2f}× | {int(rss[r['command']]) / 1024:.1f} |")
open(f"{work}/registry-results.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
