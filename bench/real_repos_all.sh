#!/usr/bin/env bash
# One pass of the three repository commands over every directory of corpus/repos, as
# bench/workflows.sh times it: `workflows`, `dockerfile` and `package` on each of the 30 real
# commits, output to /dev/null. Exit statuses 1 (findings) and 3 (nothing of the kind) are
# expected; anything else stops the pass.
#
# usage: bench/real_repos_all.sh SHIPCHECK CORPUS_REPOS
set -uo pipefail
bin=$1 repos=$2
for dir in "$repos"/*@*/; do
  for cmd in workflows dockerfile package; do
    if [ "$cmd" = dockerfile ]; then "$bin" dockerfile --repo "$dir" --format json >/dev/null 2>&1
    else "$bin" "$cmd" "$dir" --format json >/dev/null 2>&1; fi
    rc=$?
    case $rc in 0|1|3) ;; *) echo "$dir $cmd: exit $rc" >&2; exit 1 ;; esac
  done
done
