#!/usr/bin/env python3
"""Writes a repository of N GitHub Actions workflows and N Dockerfiles for bench/workflows.sh.

Each workflow has a 4x4 matrix (16 combinations), two events (pull_request or push, and
workflow_dispatch), a build-push-action build and a `docker buildx build` run step.
usage: gen_workflows.py DIR [N]
"""
import os
import sys

root = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
os.makedirs(f"{root}/.github/workflows", exist_ok=True)
os.makedirs(f"{root}/docker", exist_ok=True)
for i in range(n):
    event = "pull_request" if i % 2 == 0 else "push"
    with open(f"{root}/.github/workflows/w{i:04}.yml", "w") as f:
        f.write(f"""on: [{event}, workflow_dispatch]
jobs:
  build:
    strategy:
      matrix:
        platform: [linux/amd64, linux/arm64, linux/riscv64, linux/s390x]
        variant: [a, b, c, d]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-qemu-action@v3
      - uses: docker/build-push-action@v6
        with:
          file: docker/{i}.Dockerfile
          platforms: ${{{{ matrix.platform }}}}
          push: ${{{{ github.event_name != 'pull_request' }}}}
      - run: |
          docker buildx build --platform linux/amd64,linux/ppc64le \\
            -t x:${{{{ matrix.variant }}}} .
""")
    with open(f"{root}/docker/{i}.Dockerfile", "w") as f:
        f.write("FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\nRUN GOARCH=$TARGETARCH go build\nFROM alpine\nCOPY --from=b /app /\n")
