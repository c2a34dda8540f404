#!/usr/bin/env python3
"""Writes a large, deterministic CI log for benchmarks: GitHub Actions framing, BuildKit step
output, compiler noise, ANSI colour and a few real failure lines near the end.

usage: gen_log.py OUT [--mib N]      (default 1100 MiB)
"""
import argparse
import random

NOISE = [
    "#{s} {t:.3f}    Compiling serde_json v1.0.{n} (registry+https://github.com/rust-lang/crates.io-index)",
    "#{s} {t:.3f} npm WARN deprecated inflight@1.0.{n}: This module is not supported, and leaks memory.",
    "#{s} {t:.3f} Get:{n} http://deb.debian.org/debian bookworm/main amd64 libssl3 amd64 3.0.{n}-1~deb12u1 [2025 kB]",
    "#{s} {t:.3f} \x1b[32m+\x1b[0m added {n} packages, and audited {n} packages in 3s",
    "#{s} {t:.3f} [INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/slf4j/slf4j-api/2.0.{n}/slf4j-api-2.0.{n}.pom",
    "#{s} {t:.3f} test result: ok. {n} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
    "#{s} {t:.3f} warning: unused variable: `x{n}` --> src/lib.rs:{n}:9",
    "#{s} sha256:{h} {n}.2MB / 45.1MB {t:.1f}s",
]
FAILURES = [
    "#{s} {t:.3f} ERROR: failed to solve: debian:stable-slim: no match for platform in manifest sha256:{h}: not found",
    "##[error]buildx failed with: ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
    "##[error]Process completed with exit code 1.",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mib", type=int, default=1100)
    a = ap.parse_args()
    rng = random.Random(42)
    target = a.mib << 20
    # A block of 4096 varied lines, written many times with changing timestamps.
    lines = []
    for i in range(4096):
        tmpl = NOISE[rng.randrange(len(NOISE))]
        lines.append(tmpl.format(s=rng.randrange(1, 40), t=rng.random() * 900, n=rng.randrange(1000), h="%064x" % rng.getrandbits(256)))
    written = 0
    second = 0
    with open(a.out, "w", encoding="utf-8") as f:
        while written < target:
            ts = "2025-01-01T%02d:%02d:%02d.0000000Z " % ((second // 3600) % 24, (second // 60) % 60, second % 60)
            block = "".join(ts + l + "\n" for l in lines)
            f.write(block)
            written += len(block.encode())
            second += 1
        for tmpl in FAILURES:
            f.write("2025-01-02T00:00:00.0000000Z " + tmpl.format(s=99, t=1.0, h="ab" * 32) + "\n")
    print(f"{written / (1 << 20):.0f} MiB")


if __name__ == "__main__":
    main()
