# shipcheck itself, as a container: `docker run --rm -v "$PWD:/src" IMAGE workflows`.
#
# Built from source on each target platform (`docker buildx build --platform
# linux/amd64,linux/arm64 .`): nothing is downloaded per architecture, so no TARGETARCH is needed.
# Base images are pinned: the builder by its exact Rust and Debian release, the runtime by
# digest (debian:13, the digest opentelemetry-collector-releases pins in
# scripts/package-tests/Dockerfile.test.deb). When a registry is reachable, pin the builder's
# digest too: `docker buildx imagetools inspect rust:1.95.0-slim-trixie`.

FROM rust:1.95.0-slim-trixie AS builder
WORKDIR /build
COPY . .
RUN cargo build --release --locked -p shipcheck \
    && install -m 0755 target/release/shipcheck /usr/local/bin/shipcheck \
    && shipcheck --version

FROM debian:13@sha256:34cd9e9fd437c0a095ec39cb2e73422c9f30821b0d0848ed74fd0d43bae4d958
# git: `shipcheck package` reads tags and history. A repository mounted from the host belongs
# to another user, which git refuses without safe.directory.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'
COPY --from=builder /usr/local/bin/shipcheck /usr/local/bin/shipcheck
COPY LICENSE /usr/share/doc/shipcheck/LICENSE
WORKDIR /src
ENTRYPOINT ["shipcheck"]
CMD ["check"]
