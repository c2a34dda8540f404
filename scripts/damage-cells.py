#!/usr/bin/env python3
"""Writes the measured damage cells into crates/shipcheck-image/data/engines.toml.

Usage:
  SHIPCHECK_DAMAGE_TSV=/tmp/damage.tsv CI=true cargo test -p shipcheck-image --test damage
  python3 scripts/damage-cells.py /tmp/damage.tsv

Reads the table tests/damage.rs measured (one row per damage class, archive form and live
engine) and replaces the block between the `# BEGIN damage cells` and `# END damage cells`
lines of engines.toml with one [[damage]] cell per (class, engine, outcome, error), listing the
forms it holds for. Outcomes are relative to the undamaged archive of the same form: an engine
that refuses the undamaged form does not read it at all (the family logic says so), and gets no
cell; an engine that takes only the host's platform of an undamaged multi-platform archive
"loads" when it does the same with a damaged one.
"""

import collections
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOML = ROOT / "crates/shipcheck-image/data/engines.toml"

# The engine column of the TSV → the profile it measures.
PROFILES = {
    "docker@20.10": "docker@20.10",
    "podman@4.3": "podman@4.3",
    "containerd@1.6": "containerd@1.6",
    "containerd@1.6 --all-platforms": "ctr-all-platforms@1.6",
    "skopeo@1.9": "skopeo@1.9",
    "skopeo-oci@1.9": "skopeo-oci@1.9",
    "buildah@1.28": "buildah@1.28",
    "buildah@1.28 oci-archive": "buildah-oci@1.28",
}

# Classes whose archives hold a multi-platform image (compared with that control).
MULTI_PLATFORM = {"undamaged-multi-platform", "blob-missing-other-platform"}

# Variants the harness builds of one damage class.
CLASSES = {"unsafe-layer-paths-absolute": "unsafe-layer-paths"}

# The classes `DamageClass` (src/engine/damage.rs) knows. The harness measures more (manifest.json
# naming paths outside the archive, multi-stream xz): what engines do with those stays in the
# family logic, whose texts depend on the archive (the path named), and the test compares them.
DAMAGE_CLASSES = {
    "truncated", "malformed-pax", "malformed-pax-in-layer", "layer-corrupt", "layer-digest-wrong",
    "diff-id-wrong",
    "blob-missing-host", "blob-missing-other-platform", "size-wrong", "unsafe-layer-paths",
    "decompression-bomb", "duplicate-tar-entries", "arch-mismatch", "media-type-wrong",
    "index-platform-lying", "manifests-null", "no-layers", "unknown-tar-members",
}


def live_versions():
    """profile id → its `live` text, read from engines.toml."""
    out, current = {}, None
    for line in TOML.read_text().splitlines():
        m = re.match(r'id = "(.+)"', line)
        if m:
            current = m.group(1)
        m = re.match(r'live = "(.+)"', line)
        if m and current:
            out[current] = m.group(1)
    return out


def podman_text(error, form):
    """podman tries every transport and prints each one's error: keep the one that read it."""
    want = {"oci-layout": "oci", "docker-archive": "docker-archive"}.get(form, "oci-archive")
    for part in error.split(" * ")[1:]:
        name, _, text = part.partition(": ")
        if name == want:
            return f"{name}: {text}"
    return error


def general(text):
    """The archive's own path and name out of an error: they differ for every input."""
    text = re.sub(r"…/[A-Za-z0-9._-]+\.(tar|oci-layout)(:[^ :]+:[a-z-]+)?", "…", text)
    text = re.sub(r'"/var/tmp/storage[0-9]+/[0-9]+"', '"/var/tmp/storage…"', text)
    return text.strip()


def main(tsv):
    rows = [line.split("\t") for line in pathlib.Path(tsv).read_text().splitlines()[1:] if line]
    baseline = {}
    for r in rows:
        if r[0] in ("undamaged", "undamaged-multi-platform"):
            baseline[(r[0], r[1], r[2])] = r[3]
    live = live_versions()
    cells = collections.OrderedDict()
    for r in rows:
        cls, form, engine, observed, error = r[0], r[1], r[2], r[3], r[4]
        if CLASSES.get(cls, cls) not in DAMAGE_CLASSES:
            continue
        # The multi-platform classes of tests/common/damage.rs (`multi_platform: true`); the
        # platforms column cannot tell, as it shows "-" for an empty list too.
        multi = cls in MULTI_PLATFORM
        base = baseline[("undamaged-multi-platform" if multi else "undamaged", form, engine)]
        if base == "refuses":
            continue
        if observed == "some-platforms" and base == "some-platforms":
            outcome = "loads"
        else:
            outcome = observed
        text = None
        if outcome in ("refuses", "leaves-record"):
            text = podman_text(error, form) if engine.startswith("podman") else error
            text = general(text.removeprefix("Error: "))
        profile = PROFILES[engine]
        key = (CLASSES.get(cls, cls), profile, outcome, text)
        cells.setdefault(key, [])
        if form not in cells[key]:
            cells[key].append(form)
    seen = collections.defaultdict(set)
    for (cls, profile, _, _), forms in cells.items():
        for f in forms:
            if f in seen[(cls, profile)]:
                sys.exit(f"{cls} × {profile} × {f}: two outcomes (the class's variants disagree)")
            seen[(cls, profile)].add(f)
    out = ["# BEGIN damage cells (scripts/damage-cells.py writes this block from tests/damage.rs)"]
    for (cls, profile, outcome, text), forms in cells.items():
        out.append("")
        out.append("[[damage]]")
        out.append(f'class = "{cls}"')
        out.append(f'profile = "{profile}"')
        out.append("forms = [" + ", ".join(f'"{f}"' for f in forms) + "]")
        out.append(f'outcome = "{outcome}"')
        if text:
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'error = "{escaped}"')
        out.append(f'source = "tested live: {live[profile]}"')
    out.append("# END damage cells")
    block = "\n".join(out)
    toml = TOML.read_text()
    if "# BEGIN damage cells" in toml:
        toml = re.sub(r"# BEGIN damage cells.*?# END damage cells", lambda _: block, toml, flags=re.S)
    else:
        toml = toml.rstrip("\n") + "\n\n" + block + "\n"
    TOML.write_text(toml)
    print(f"{len(cells)} cells from {len(rows)} rows", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
