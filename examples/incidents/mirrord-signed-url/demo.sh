#!/usr/bin/env bash
# The mirrord 3.137.0 failure, run: a credential issued at the start of a push and used after
# it expired. Against a real registry (Debian's docker-registry, token auth with tokens that
# live 2 seconds, uploads throttled to 512 KiB/s so the push outlives several tokens):
#
#   1. a client that fetches its token once and then uploads is refused mid-push (401);
#   2. `shipcheck push` of the same image to the same registry succeeds: it renews the token
#      before each request once it nears expiry.
#
# Exit status 0 when both happen as described. Needs docker-registry (Debian package) and the
# binaries; it builds them when SHIPCHECK / TEST_REGISTRY do not point at built ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [ -z "${SHIPCHECK:-}" ] || [ -z "${TEST_REGISTRY:-}" ]; then
  (cd "$root" && cargo build -q --release -p shipcheck &&
    cargo build -q --release -p shipcheck-registry --features testing --example test-registry)
fi
SHIPCHECK=${SHIPCHECK:-$root/target/release/shipcheck}
TEST_REGISTRY=${TEST_REGISTRY:-$root/target/release/examples/test-registry}

work=$(mktemp -d)
cleanup() { exec 3>&- 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The registry runs until its stdin (fd 3 here) closes.
mkfifo "$work/stdin"
"$TEST_REGISTRY" --token-life 2 --throttle 524288 < "$work/stdin" > "$work/registry.txt" &
exec 3> "$work/stdin"
for _ in $(seq 100); do grep -q '^service=' "$work/registry.txt" 2>/dev/null && break; sleep 0.1; done
registry=$(sed -n 's/^registry=//p' "$work/registry.txt")
realm=$(sed -n 's/^realm=//p' "$work/registry.txt")
service=$(sed -n 's/^service=//p' "$work/registry.txt")
layout=$("$TEST_REGISTRY" layout "$work/image")
echo "registry $registry (tokens live 2 s; uploads 512 KiB/s), image $(du -sh "$layout" | cut -f1)"

echo
echo "1. A client that fetches one token, then pushes:"
naive=0
python3 - "$registry" "$realm" "$service" "$layout" <<'PY' || naive=$?
import base64, hashlib, http.client, json, os, sys, time, urllib.parse
registry, realm, service, layout = sys.argv[1:]
start = time.time()
# The credential is issued once, at the start (as a CI job logs in before a long build).
u = urllib.parse.urlsplit(realm)
c = http.client.HTTPConnection(u.netloc)
scope = "repository:demo/app:pull,push"
c.request("GET", f"{u.path}?service={service}&scope={scope}", headers={"Authorization": "Basic " + base64.b64encode(b"ci:demo-pass").decode()})
token = json.loads(c.getresponse().read())["token"]
auth = {"Authorization": f"Bearer {token}"}
blobs = os.path.join(layout, "blobs/sha256")
for name in sorted(os.listdir(blobs), key=lambda n: -os.path.getsize(os.path.join(blobs, n))):
    data = open(os.path.join(blobs, name), "rb").read()
    r = http.client.HTTPConnection(registry)
    r.request("POST", "/v2/demo/app/blobs/uploads/", headers=auth)
    resp = r.getresponse(); resp.read()
    location = urllib.parse.urlsplit(resp.getheader("Location"))
    path = location.path + "?" + location.query
    for off in range(0, len(data), 1 << 20):
        chunk = data[off:off + (1 << 20)]
        r = http.client.HTTPConnection(registry)
        r.request("PATCH", path, body=chunk, headers={**auth, "Content-Type": "application/octet-stream",
                  "Content-Range": f"{off}-{off + len(chunk) - 1}"})
        resp = r.getresponse(); body = resp.read()
        if resp.status != 202:
            print(f"   PATCH of blob sha256:{name[:12]}… at {off} bytes: HTTP {resp.status} "
                  f"{json.loads(body or b'{}').get('errors', [{}])[0].get('code', '')}, "
                  f"{time.time() - start:.1f} s after the token was issued")
            sys.exit(1)
        location = urllib.parse.urlsplit(resp.getheader("Location"))
        path = location.path + "?" + location.query
    r = http.client.HTTPConnection(registry)
    r.request("PUT", path + f"&digest=sha256:{name}", headers=auth)
    resp = r.getresponse(); resp.read()
print("   pushed every blob")
PY
if [ "$naive" -ne 0 ]; then echo "   -> refused: the token expired mid-push"; else echo "   -> it succeeded"; fi

echo
echo "2. shipcheck push, same image, same registry:"
shipcheck_rc=0
"$SHIPCHECK" push "oci:$layout" "docker://$registry/demo/app:1" --creds ci:demo-pass --chunk-size 1 --jobs 2 \
  --format json -o "$work/push.json" || shipcheck_rc=$?
python3 - "$work/push.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for e in r["errors"]:
    print("   error:", e["message"])
for c in r["checked"]:
    f = c["facts"]
    print(f"   pushed {f['digest'][:19]}…: {f['blobs_uploaded']} blobs, {f['bytes_uploaded']} bytes in {f['seconds']} s; "
          f"{f['tokens_fetched']} tokens fetched, {f['reauthentications']} refused; read back: {f['read_back']}")
PY

echo
if [ "$naive" -ne 0 ] && [ "$shipcheck_rc" -eq 0 ]; then
  echo "As in mirrord 3.137.0: one token for a long push fails; renewing it before each request does not."
else
  echo "unexpected: the one-token client exited $naive, shipcheck push $shipcheck_rc"
  exit 1
fi
