//! One rule per class of failure; the signature that matched is named in the evidence.

use shipcheck_report::{declare_rule, Rule};

declare_rule! {
    /// ## What it catches
    /// A signed URL (Azure SAS, S3/GCS presigned) used after its validity window, e.g. the
    /// GitHub Actions cache (`type=gha`) blob URLs that BuildKit fetches during a push.
    ///
    /// ## Why it breaks releases
    /// The URL is issued when the cache import starts and used when the push exports the cache
    /// many minutes later; past its ~10 minute window the storage answers 403
    /// `Signature not valid in the specified time frame` (mirrord 3.137.0, moby/buildkit#3239).
    ///
    /// ## Fix
    /// Re-acquire the credential right before it is used: split build and push, keep
    /// `cache-to: type=gha,…,ignore-error=true`, or move the cache to a registry.
    ///
    /// ## Example
    /// `Start [Wed, 26 Mar 2025 22:26:21 GMT] - Expiry [Wed, 26 Mar 2025 22:36:26 GMT] - Current [Wed, 26 Mar 2025 22:40:25 GMT]`:
    /// valid 10 min, used 4 min after expiry.
    pub SIGNED_URL_EXPIRED = ("ci/signed-url-expired", Error, "a signed URL expired before it was used");
}

declare_rule! {
    /// ## What it catches
    /// A registry or cloud credential that expired while the job ran (ECR tokens, AWS
    /// session credentials, OIDC-issued tokens).
    ///
    /// ## Why it breaks releases
    /// Credentials fetched at the start of a long job are stale by the push at its end.
    ///
    /// ## Fix
    /// Log in right before pushing, or lengthen the credential's lifetime.
    ///
    /// ## Example
    /// `denied: Your authorization token has expired. Reauthenticate and try again.`
    pub CREDENTIAL_EXPIRED = ("ci/credential-expired", Error, "a credential expired during the job");
}

declare_rule! {
    /// ## What it catches
    /// Authentication or authorization refused by a registry or cloud API.
    ///
    /// ## Why it breaks releases
    /// The build is fine; the push is not allowed (missing login, token scope, package
    /// permissions).
    ///
    /// ## Fix
    /// Log in before pushing, and grant the token write access to the repository (for GHCR:
    /// `permissions: packages: write`).
    ///
    /// ## Example
    /// `denied: requested access to the resource is denied`.
    pub AUTH_FAILED = ("ci/auth-failed", Error, "the registry or API refused the credentials");
}

declare_rule! {
    /// ## What it catches
    /// Rate limiting: Docker Hub pull limits, 429 from registries or the Actions cache.
    ///
    /// ## Why it breaks releases
    /// Shared runners pull anonymously from shared addresses and hit limits at random.
    ///
    /// ## Fix
    /// Authenticate pulls, use a mirror or cache, and retry with back-off.
    ///
    /// ## Example
    /// `toomanyrequests: You have reached your pull rate limit`.
    pub RATE_LIMITED = ("ci/rate-limited", Error, "a service rate-limited the job");
}

declare_rule! {
    /// ## What it catches
    /// Network failures: DNS, TLS handshakes, timeouts, resets, a runner losing its server.
    ///
    /// ## Why it breaks releases
    /// Usually transient; repeated, it points at a proxy, a firewall or an overloaded runner.
    ///
    /// ## Fix
    /// Re-run; if it repeats, check the runner's network, DNS and proxy settings.
    ///
    /// ## Example
    /// `net/http: TLS handshake timeout`.
    pub NETWORK = ("ci/network-failure", Error, "a network operation failed");
}

declare_rule! {
    /// ## What it catches
    /// Platform and emulation failures: a base image without the target platform, a binary
    /// for another CPU (`exec format error`), missing QEMU, a buildx driver that cannot build
    /// several platforms.
    ///
    /// ## Why it breaks releases
    /// Release workflows build platforms that pull-request workflows never tried (Kubo
    /// riscv64).
    ///
    /// ## Fix
    /// Build every release platform in pull requests, set up QEMU for non-native ones, and use
    /// base images that provide each platform.
    ///
    /// ## Example
    /// `ubuntu:22.04: no match for platform in manifest sha256:…: not found`.
    pub PLATFORM = ("ci/platform-unavailable", Error, "a platform is missing or cannot be emulated");
}

declare_rule! {
    /// ## What it catches
    /// An OCI runtime that rejects a flag its caller passes.
    ///
    /// ## Why it breaks releases
    /// BuildKit ≥ 0.12 passes `run --keep`; crun before 1.15 rejects it, so every RUN step
    /// fails where crun is installed as runc (moby/buildkit#4721).
    ///
    /// ## Fix
    /// Upgrade the runtime or point the caller at runc; `shipcheck runtime --for buildkit`
    /// checks a machine before a build runs.
    ///
    /// ## Example
    /// `run: unrecognized option '--keep'`.
    pub RUNTIME_CLI = ("ci/runtime-flag-rejected", Error, "the OCI runtime rejected a flag");
}

declare_rule! {
    /// ## What it catches
    /// Image format and image store problems: loading multi-platform images into the docker
    /// store, archives an engine cannot read, images loaded under an unexpected name.
    ///
    /// ## Why it breaks releases
    /// The image is built but cannot be loaded or found where the next step expects it.
    ///
    /// ## Fix
    /// See the signature's remedy; `shipcheck image` checks archives before they ship.
    ///
    /// ## Example
    /// `docker exporter does not currently support exporting manifest lists`.
    pub IMAGE_FORMAT = ("ci/image-format", Error, "an image could not be exported, loaded or found");
}

declare_rule! {
    /// ## What it catches
    /// A registry answering with a distribution-spec error code (MANIFEST_INVALID,
    /// BLOB_UNKNOWN, DIGEST_INVALID, NAME_UNKNOWN, …).
    ///
    /// ## Why it breaks releases
    /// The push or pull violates what the registry accepts (missing blobs, bad manifests,
    /// wrong names), or the registry lost state mid-upload.
    ///
    /// ## Fix
    /// See the signature's remedy; verify the image with `shipcheck image` and push again.
    ///
    /// ## Example
    /// `blob unknown: blob unknown to registry`.
    pub REGISTRY = ("ci/registry-error", Error, "the registry rejected a request");
}

declare_rule! {
    /// ## What it catches
    /// Build cache backend failures (GitHub Actions cache timeouts, busy storage).
    ///
    /// ## Why it breaks releases
    /// A cache problem fails a build that would have succeeded without the cache.
    ///
    /// ## Fix
    /// Add `ignore-error=true` to `cache-to`, so cache export failures do not fail the build.
    ///
    /// ## Example
    /// `ERROR: maximum timeout reached`.
    pub CACHE = ("ci/cache-backend", Error, "the build cache backend failed");
}

declare_rule! {
    /// ## What it catches
    /// Exhausted resources: disk, memory (exit code 137, `Killed`), the job's time limit.
    ///
    /// ## Why it breaks releases
    /// Release builds are the biggest (all platforms, no cache) and hit limits first.
    ///
    /// ## Fix
    /// Free disk space, lower parallelism, raise timeout-minutes, or use a larger runner.
    ///
    /// ## Example
    /// `no space left on device`.
    pub RESOURCES = ("ci/resources-exhausted", Error, "the job ran out of disk, memory or time");
}

declare_rule! {
    /// ## What it catches
    /// Downstream packaging failures: rpmbuild sections, Koji NVR clashes and targets, missing
    /// build dependencies, packit syncs into dist-git.
    ///
    /// ## Why it breaks releases
    /// The upstream release is out; the distribution update fails after it (crun 1.16/1.17:
    /// `files_to_sync` into a nested path needed `mkpath: true`).
    ///
    /// ## Fix
    /// See the signature's remedy; `shipcheck package` checks packaging metadata first.
    ///
    /// ## Example
    /// `rsync: [Receiver] change_dir#3 "/tmp/packit-dist-git…/dist" failed: No such file or directory (2)`.
    pub PACKAGING = ("ci/packaging-failed", Error, "a packaging step failed");
}

declare_rule! {
    /// ## What it catches
    /// A build step that failed for a reason no more specific signature names: a RUN
    /// command's exit code, a missing build-context file, or (as a last resort) a step's
    /// non-zero exit.
    ///
    /// ## Why it breaks releases
    /// It is the job's own code failing; the evidence lines say which command.
    ///
    /// ## Fix
    /// Read the evidence; run the failing command locally in the same image.
    ///
    /// ## Example
    /// `process "/bin/sh -c make" did not complete successfully: exit code: 2`.
    pub BUILD_STEP = ("ci/build-step-failed", Error, "a build step failed");
}

/// The rule of each class.
pub fn for_class(class: &str) -> &'static Rule {
    match class {
        "signed-url-expired" => &SIGNED_URL_EXPIRED,
        "credential-expiry" => &CREDENTIAL_EXPIRED,
        "auth" => &AUTH_FAILED,
        "rate-limit" => &RATE_LIMITED,
        "network" => &NETWORK,
        "platform" => &PLATFORM,
        "runtime-cli" => &RUNTIME_CLI,
        "image-format" => &IMAGE_FORMAT,
        "registry-protocol" => &REGISTRY,
        "cache" => &CACHE,
        "resources" => &RESOURCES,
        "packaging" => &PACKAGING,
        _ => &BUILD_STEP,
    }
}

pub static ALL: &[&Rule] = &[
    &AUTH_FAILED,
    &BUILD_STEP,
    &CACHE,
    &CREDENTIAL_EXPIRED,
    &IMAGE_FORMAT,
    &NETWORK,
    &PACKAGING,
    &PLATFORM,
    &RATE_LIMITED,
    &REGISTRY,
    &RESOURCES,
    &RUNTIME_CLI,
    &SIGNED_URL_EXPIRED,
];
