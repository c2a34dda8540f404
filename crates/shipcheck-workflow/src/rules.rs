//! Rules of the workflow and Dockerfile preflight.

use shipcheck_report::{declare_rule, Rule};

declare_rule! {
    /// ## What it catches
    /// Platforms that a workflow builds after merge (on `push`, `release`, `workflow_dispatch`,
    /// `schedule`, or a reusable workflow they call) that no pull-request workflow
    /// (`pull_request`, `pull_request_target`, `merge_group`) builds.
    ///
    /// ## Why it breaks releases
    /// A change that breaks one of those platforms goes in green and breaks the release or the
    /// main-branch image. Kubo's pull-request workflow built linux/amd64 only while
    /// `docker-image.yml` built five platforms; a change for riscv64 was merged green and broke
    /// the master image build (ipfs/kubo, docker-image.yml with `pull_request:` commented out).
    ///
    /// ## Fix
    /// Add a pull-request job that builds every release platform without pushing
    /// (`push: false`, no `load`); the finding gives the exact YAML. QEMU makes it slower, so
    /// it can be limited to changes that touch the Dockerfile with `paths:`.
    ///
    /// ## Example
    /// PR: `docker build .` on ubuntu-latest. Release: `platforms: linux/amd64,linux/riscv64`.
    pub PLATFORM_DRIFT = ("workflow/platform-drift", Warning, "platforms built after merge that no pull-request build tries");
}

declare_rule! {
    /// ## What it catches
    /// A build of a platform that the job's runner does not run natively, in a job with no
    /// `docker/setup-qemu-action` (or `tonistiigi/binfmt`, `qemu-user-static`) before it, or
    /// whose QEMU `platforms` do not include it. Builders with nodes of other platforms
    /// (`append:`, the remote driver) are not judged.
    ///
    /// ## Why it breaks releases
    /// Every `RUN` of a foreign-platform stage fails with `exec format error` without an
    /// emulator. A Dockerfile that cross-compiles (`FROM --platform=$BUILDPLATFORM`, no `RUN`
    /// in the target stages) does not need one, which is why this is a warning.
    ///
    /// ## Fix
    /// Add `- uses: docker/setup-qemu-action@v3` before the build, or include the platform in
    /// its `platforms`.
    ///
    /// ## Example
    /// `platforms: linux/amd64,linux/arm64` on ubuntu-latest with only setup-buildx-action.
    pub MISSING_QEMU = ("workflow/missing-qemu", Warning, "a foreign platform built without QEMU");
}

declare_rule! {
    /// ## What it catches
    /// `load: true` (or `--load`, `--output type=docker`) on a build of more than one platform.
    ///
    /// ## Why it breaks releases
    /// The docker exporter cannot load a manifest list into Docker's classic image store: the
    /// build fails with `docker exporter does not currently support exporting manifest lists`
    /// (docker/buildx#59). Docker's containerd image store can; a job that enables it with
    /// `docker/setup-docker-action` (`containerd-snapshotter`) is not reported.
    ///
    /// ## Fix
    /// Load one platform (the runner's) for tests, and push or export the multi-platform
    /// build separately; or enable the containerd image store.
    ///
    /// ## Example
    /// `load: true` with `platforms: linux/amd64,linux/arm64`.
    pub LOAD_MULTI_PLATFORM = ("workflow/load-multi-platform", Error, "load of a multi-platform build");
}

declare_rule! {
    /// ## What it catches
    /// A `type=gha` cache import or export in a job that also pushes an image.
    ///
    /// ## Why it breaks releases
    /// The GitHub cache backend hands BuildKit signed URLs valid for a limited time. A long
    /// multi-platform build that imports the cache early and exports it or pushes late can use
    /// them after they expire: the push or cache export fails with 403 and a validity window
    /// in the error text (mirrord 3.137.0, metalbear-co/mirrord#3210).
    ///
    /// ## Fix
    /// Keep long builds from depending on a cache credential issued at their start: export
    /// the cache in a separate short job, use `type=registry` cache, or split platforms into
    /// per-platform jobs that are merged with `docker buildx imagetools create`.
    ///
    /// ## Example
    /// `cache-from: type=gha`, `cache-to: type=gha,mode=max`, `push: true`.
    pub GHA_CACHE_LONG_BUILD = ("workflow/gha-cache-long-build", Warning, "a gha cache in a job that pushes");
}

declare_rule! {
    /// ## What it catches
    /// A commented-out `pull_request:` trigger in a workflow that builds images and has no
    /// pull-request trigger.
    ///
    /// ## Why it breaks releases
    /// Someone switched the image build off for pull requests (often because it was slow);
    /// from then on the build is only tried after merge. This was Kubo's `docker-image.yml`.
    ///
    /// ## Fix
    /// Restore the trigger with `push: false` for pull requests, limited with `paths:` if it
    /// is slow, or add a separate pull-request build of the same platforms.
    ///
    /// ## Example
    /// `on: { push: … }` followed by `# pull_request:`.
    pub COMMENTED_TRIGGER = ("workflow/commented-trigger", Warning, "a commented-out pull_request trigger on an image build");
}

declare_rule! {
    /// ## What it catches
    /// An image build whose platforms are written as something shipcheck cannot evaluate from
    /// the repository (a step output, a repository variable, a bake function, a shell
    /// variable set at run time).
    ///
    /// ## Why it breaks releases
    /// It does not break anything by itself; it says where the drift and QEMU checks could
    /// not look, so that a clean report is not read as proof.
    ///
    /// ## Fix
    /// Nothing, or write the list literally (or in `env:`) where it is cheap to do so.
    ///
    /// ## Example
    /// `platforms: ${{ steps.platforms.outputs.list }}`.
    pub UNRESOLVED_PLATFORMS = ("workflow/unresolved-platforms", Note, "build platforms that cannot be evaluated offline");
}

declare_rule! {
    /// ## What it catches
    /// A workflow file that is not valid YAML.
    ///
    /// ## Why it breaks releases
    /// GitHub does not run it, and shows the error only on the Actions tab.
    ///
    /// ## Fix
    /// Fix the syntax at the position given.
    ///
    /// ## Example
    /// `did not find expected key at line 12 column 5`.
    pub INVALID_WORKFLOW = ("workflow/invalid-workflow", Error, "a workflow that is not valid YAML");
}

declare_rule! {
    /// ## What it catches
    /// `ARG TARGETARCH=…` (or `TARGETPLATFORM`, `TARGETOS`, `TARGETVARIANT`) with a default.
    ///
    /// ## Why it breaks releases
    /// With a default, BuildKit treats the automatic platform argument as an ordinary build
    /// argument and uses the default: every platform of a multi-platform build gets the value
    /// written there, e.g. amd64 binaries in the arm64 image (docker/buildx#510;
    /// apache/skywalking-swck#215 shipped x86-64 binaries in its arm64 image this way).
    ///
    /// ## Fix
    /// Declare it without a default, `ARG TARGETARCH`, and derive any fallback in the shell
    /// (`${TARGETARCH:-amd64}`).
    ///
    /// ## Example
    /// `ARG TARGETARCH=amd64`.
    pub PLATFORM_ARG_DEFAULT = ("dockerfile/platform-arg-default", Error, "an automatic platform ARG given a default");
}

declare_rule! {
    /// ## What it catches
    /// A variable used in a build stage that is declared with `ARG` only before the first
    /// `FROM` (or is an automatic platform argument such as `TARGETARCH`) and is not declared
    /// again inside the stage.
    ///
    /// ## Why it breaks releases
    /// An `ARG` before `FROM` is in scope for `FROM` lines only. Inside a stage it expands to
    /// an empty string without any error: download URLs lose their version or architecture,
    /// `GOARCH=` builds for the build host (docker/buildx#1805).
    ///
    /// ## Fix
    /// Add `ARG NAME` (no value: it inherits the global default) inside the stage, before the
    /// first use.
    ///
    /// ## Example
    /// `ARG VERSION=1.2` / `FROM alpine` / `RUN wget …/v${VERSION}/tool.tgz`.
    pub ARG_OUT_OF_SCOPE = ("dockerfile/arg-out-of-scope", Warning, "a global or platform ARG used in a stage that does not declare it");
}

declare_rule! {
    /// ## What it catches
    /// In a Dockerfile built for several platforms: `GOARCH=amd64`, a download URL naming
    /// amd64/x86_64 (or arm64/aarch64), or `FROM --platform=linux/amd64`, in a stage that
    /// never reads `TARGETARCH`/`TARGETPLATFORM` nor asks the system (`uname -m`,
    /// `dpkg --print-architecture`).
    ///
    /// ## Why it breaks releases
    /// Every platform of the image gets the amd64 binary; the arm64 image builds green and
    /// fails at start with `exec format error`.
    ///
    /// ## Fix
    /// Map `TARGETARCH` to the name the download uses
    /// (`case "$TARGETARCH" in amd64) A=x86_64;; arm64) A=aarch64;; esac`) or cross-compile
    /// with `GOARCH=$TARGETARCH`.
    ///
    /// ## Example
    /// `RUN curl -LO https://example.com/tool-linux-amd64.tar.gz`.
    pub HARDCODED_ARCH = ("dockerfile/hardcoded-arch", Warning, "a hard-coded architecture in a multi-platform build");
}

declare_rule! {
    /// ## What it catches
    /// The final stage (the image that ships) built `FROM --platform=$BUILDPLATFORM`, or
    /// reading `BUILDPLATFORM`/`BUILDARCH`/`BUILDOS`.
    ///
    /// ## Why it breaks releases
    /// `$BUILDPLATFORM` is the machine running the build. A final stage pinned to it ships the
    /// build host's base image and binaries under every target platform's name.
    ///
    /// ## Fix
    /// Use `$BUILDPLATFORM` only in builder stages, and `TARGETPLATFORM`/`TARGETARCH` (or no
    /// `--platform`) in the final stage.
    ///
    /// ## Example
    /// `FROM --platform=$BUILDPLATFORM alpine` as the last stage.
    pub BUILD_PLATFORM_IN_FINAL = ("dockerfile/build-platform-in-final-stage", Error, "the final stage uses the build platform");
}

declare_rule! {
    /// ## What it catches
    /// `TARGETARCH` put into a download URL whose file names use the kernel's architecture
    /// names (`x86_64`, `aarch64`): Rust target triples (`-unknown-linux-gnu`), GoReleaser's
    /// `Linux_x86_64`, `linux-x86_64` style names, or names the same file spells with
    /// `x86_64`/`aarch64` elsewhere in the Dockerfile.
    ///
    /// ## Why it breaks releases
    /// `TARGETARCH` is Go's naming (`amd64`, `arm64`): the URL becomes
    /// `tool-amd64-unknown-linux-gnu.tar.gz`, which does not exist, and the build fails with
    /// a 404 (or worse, a different file is fetched).
    ///
    /// ## Fix
    /// Map it first: `case "$TARGETARCH" in amd64) ARCH=x86_64;; arm64) ARCH=aarch64;; esac`.
    ///
    /// ## Example
    /// `ADD https://…/tool-${TARGETARCH}-unknown-linux-musl.tar.gz /tmp/`.
    pub ARCH_NAMING = ("dockerfile/arch-naming", Error, "TARGETARCH where the file names use x86_64/aarch64");
}

declare_rule! {
    /// ## What it catches
    /// A shell `case` on the architecture (`dpkg --print-architecture`, `uname -m`,
    /// `$TARGETARCH`) whose branches do not name a platform the Dockerfile is built for, and
    /// whose `*)` branch fails (`exit 1`).
    ///
    /// ## Why it breaks releases
    /// The build of that platform stops at this line with the script's own "unsupported
    /// architecture" message. Kubo's image fetched tini with a case for amd64, armhf and arm64
    /// only; adding riscv64 to the release platforms broke the master image build.
    ///
    /// ## Fix
    /// Add a branch for the platform (or fetch the tool from the distribution's packages),
    /// or drop the platform from the build.
    ///
    /// ## Example
    /// `case "$dpkgArch" in amd64|armhf|arm64) … ;; *) exit 1 ;; esac` built for linux/riscv64.
    pub ARCH_CASE_GAP = ("dockerfile/arch-case-gap", Error, "an architecture case that fails for a target platform");
}

declare_rule! {
    /// ## What it catches
    /// A `FROM` base image that lacks a platform the Dockerfile is built for, checked in its
    /// registry with `--online` (offline, the base images are listed as unchecked).
    ///
    /// ## Why it breaks releases
    /// The build of that platform fails with `no match for platform in manifest`, or, for a
    /// single-platform base, runs the wrong architecture under emulation.
    ///
    /// ## Fix
    /// Pick a base image (or tag) published for every target platform, or drop the platform.
    ///
    /// ## Example
    /// `FROM example/tool:1.0` (linux/amd64 and linux/arm64) in a build for linux/riscv64.
    pub BASE_PLATFORM_MISSING = ("dockerfile/base-platform-missing", Error, "a base image without a target platform");
}

declare_rule! {
    /// ## What it catches
    /// A Dockerfile that cannot be parsed: an unterminated heredoc, an instruction shipcheck
    /// does not know, a `FROM` without an image.
    ///
    /// ## Why it breaks releases
    /// BuildKit refuses it too, so the build fails.
    ///
    /// ## Fix
    /// Fix the line given.
    ///
    /// ## Example
    /// `RUN <<EOF` without a closing `EOF`.
    pub INVALID_DOCKERFILE = ("dockerfile/invalid", Error, "a Dockerfile that cannot be parsed");
}

pub static ALL: &[&Rule] = &[
    &PLATFORM_DRIFT,
    &MISSING_QEMU,
    &LOAD_MULTI_PLATFORM,
    &GHA_CACHE_LONG_BUILD,
    &COMMENTED_TRIGGER,
    &UNRESOLVED_PLATFORMS,
    &INVALID_WORKFLOW,
    &PLATFORM_ARG_DEFAULT,
    &ARG_OUT_OF_SCOPE,
    &HARDCODED_ARCH,
    &BUILD_PLATFORM_IN_FINAL,
    &ARCH_NAMING,
    &ARCH_CASE_GAP,
    &BASE_PLATFORM_MISSING,
    &INVALID_DOCKERFILE,
];
