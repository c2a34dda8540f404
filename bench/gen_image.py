#!/usr/bin/env python3
"""Writes a deterministic multi-layer image with gzip layers, for the benchmarks:

  OUT/layout/     an OCI image layout (oci-layout, index.json, blobs/sha256/...)
  OUT/image.tar   a docker-archive (manifest.json + config + the same gzip layers)

Layer content mixes pseudo-random bytes (like compiled code) with text, so it compresses
about 2.5:1 like real application layers. The same seed gives the same bytes.

usage: gen_image.py OUT [--layers N] [--layer-mib M]   (M = uncompressed MiB per layer)
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import tarfile
import zlib
from concurrent.futures import ProcessPoolExecutor

WORDS = (b"the quick brown fox jumps over a lazy dog container image layer manifest config "
         b"digest platform release build push pull registry runtime kernel library static ")


_TEXT = None


def text_pool() -> bytes:
    """4 MiB of word salad, built once per process from a fixed seed."""
    global _TEXT
    if _TEXT is None:
        rng = random.Random(7)
        parts = []
        for _ in range(1 << 18):
            start = rng.randrange(len(WORDS) - 16)
            parts.append(WORDS[start:start + rng.randrange(8, 16)])
        _TEXT = b"".join(parts)
    return _TEXT


def file_bytes(rng: random.Random, size: int) -> bytes:
    pool = text_pool()
    out = bytearray()
    while len(out) < size:
        chunk = min(65536, size - len(out))
        rand = int(chunk * 0.35)
        out += rng.randbytes(rand)
        start = rng.randrange(len(pool) - 65536)
        out += pool[start:start + chunk - rand]
    return bytes(out)


def make_layer(args):
    out_dir, index, mib = args
    rng = random.Random(1000 + index)
    tmp = os.path.join(out_dir, f"layer{index}.tmp")
    sha_raw = hashlib.sha256()
    with open(tmp, "wb") as f:
        # gzip with mtime 0 and level 6 (Docker's default), streamed.
        gz = gzip.GzipFile(fileobj=f, mode="wb", compresslevel=6, mtime=0)
        diff = hashlib.sha256()

        class Tee(io.RawIOBase):
            def write(self, b):
                diff.update(b)
                gz.write(b)
                return len(b)

        tee = Tee()
        with tarfile.open(fileobj=tee, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            remaining = mib << 20
            n = 0
            while remaining > 0:
                size = min(remaining, rng.choice([4 << 10, 64 << 10, 1 << 20, 8 << 20]))
                data = file_bytes(rng, size)
                info = tarfile.TarInfo(f"usr/lib/app{index}/file{n:05d}.bin")
                info.size = len(data)
                info.mode = 0o755 if n % 7 == 0 else 0o644
                info.mtime = 0
                tar.addfile(info, io.BytesIO(data))
                remaining -= size
                n += 1
        gz.close()
    with open(tmp, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            sha_raw.update(b)
    size = os.path.getsize(tmp)
    digest = sha_raw.hexdigest()
    return tmp, digest, size, "sha256:" + diff.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--layer-mib", type=int, default=272)
    a = ap.parse_args()
    out = a.out
    shutil.rmtree(out, ignore_errors=True)
    blobs = os.path.join(out, "layout", "blobs", "sha256")
    os.makedirs(blobs)
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as ex:
        layers = list(ex.map(make_layer, [(out, i, a.layer_mib) for i in range(a.layers)]))
    descs = []
    for tmp, digest, size, _ in layers:
        os.replace(tmp, os.path.join(blobs, digest))
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + digest, "size": size})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [l[3] for l in layers]}}, sort_keys=True).encode()
    cd = hashlib.sha256(config).hexdigest()
    open(os.path.join(blobs, cd), "wb").write(config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd, "size": len(config)},
                           "layers": descs}, sort_keys=True).encode()
    md = hashlib.sha256(manifest).hexdigest()
    open(os.path.join(blobs, md), "wb").write(manifest)
    open(os.path.join(out, "layout", "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md,
                              "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "bench"}}]},
              open(os.path.join(out, "layout", "index.json"), "w"))
    # docker-archive over the same blobs (Docker 25 layout of paths, without index.json).
    with tarfile.open(os.path.join(out, "image.tar"), "w", format=tarfile.PAX_FORMAT) as tar:
        for name in [cd] + [d["digest"][7:] for d in descs]:
            tar.add(os.path.join(blobs, name), arcname=f"blobs/sha256/{name}")
        mj = json.dumps([{"Config": f"blobs/sha256/{cd}", "RepoTags": ["bench/image:latest"],
                          "Layers": [f"blobs/sha256/{d['digest'][7:]}" for d in descs]}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(mj)
        tar.addfile(info, io.BytesIO(mj))
    total = sum(d["size"] for d in descs)
    print(f"{a.layers} layers, {total / (1 << 30):.2f} GiB compressed, {a.layers * a.layer_mib / 1024:.2f} GiB uncompressed")


if __name__ == "__main__":
    main()
