//! Platform strings as build tools write them, and the native platform of a runner.

use std::sync::OnceLock;

use serde::Deserialize;
use shipcheck_core::platform::Platform;

/// The canonical `os/arch[/variant]` of what a user wrote, by the one platform parser
/// (`shipcheck_core::platform`), which reads every spelling as BuildKit and containerd do:
/// `linux/arm64/v8` and `aarch64` are `linux/arm64`, `linux/arm` and `armhf` are
/// `linux/arm/v7`, `x86` is `linux/386`, a bare architecture is Linux. `None` when it is not a
/// platform at all.
pub fn normalize(raw: &str) -> Option<String> {
    Platform::parse(raw).ok().map(|p| p.to_string())
}

/// Splits a platform list as build-push-action and buildx take it: commas or newlines.
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()
}

/// Whether a runner of platform `native` may run binaries of `platform` without emulation.
/// x86-64 kernels run i386 binaries. An arm64 kernel runs 32-bit Arm binaries when its cores
/// have AArch32 at EL0, which depends on the core (Neoverse N1 has it, some later cores do not)
/// and hosted runners change hardware, so arm/v5–v7 on an arm64 runner is not called missing
/// QEMU: fluent-bit's release builds linux/arm/v7 on `ubuntu-22.04-arm` without it.
pub fn runs_natively(native: &str, platform: &str) -> bool {
    native == platform
        || (native == "linux/amd64" && platform == "linux/386")
        || (native == "linux/arm64" && platform.starts_with("linux/arm/"))
}

#[derive(Deserialize)]
struct RunnerTable {
    runner: Vec<RunnerEntry>,
}

#[derive(Deserialize)]
struct RunnerEntry {
    labels: Vec<String>,
    platform: String,
    #[allow(dead_code)]
    source: String,
}

fn runners() -> &'static [RunnerEntry] {
    static TABLE: OnceLock<Vec<RunnerEntry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Built in: the `runner_labels` test proves it parses, so an empty table never ships.
        toml::from_str::<RunnerTable>(include_str!("../data/runners.toml")).map(|t| t.runner).unwrap_or_default()
    })
}

fn label_matches(pattern: &str, label: &str) -> bool {
    let label = label.to_ascii_lowercase();
    match pattern.strip_suffix('*') {
        Some(prefix) => label.starts_with(prefix),
        None => label == pattern,
    }
}

/// The native platform of a runner with these `runs-on` labels, from data/runners.toml.
pub fn runner_platform(labels: &[String]) -> Option<&'static str> {
    runners()
        .iter()
        .find(|e| e.labels.iter().any(|p| labels.iter().any(|l| label_matches(p, l.trim()))))
        .map(|e| e.platform.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_buildkit() {
        assert_eq!(normalize("linux/arm64/v8").as_deref(), Some("linux/arm64"));
        assert_eq!(normalize("linux/arm").as_deref(), Some("linux/arm/v7"));
        assert_eq!(normalize(" LINUX/AMD64 ").as_deref(), Some("linux/amd64"));
        assert_eq!(normalize("riscv64").as_deref(), Some("linux/riscv64"));
        assert_eq!(normalize("linux/arm/v6").as_deref(), Some("linux/arm/v6"));
        assert_eq!(normalize("linux/$ARCH"), None);
        assert_eq!(normalize("a/b/c/d"), None);
        assert_eq!(split_list("linux/amd64,\n linux/arm64\n"), ["linux/amd64", "linux/arm64"]);
        for (spelling, want) in [
            ("arm64", "linux/arm64"),
            ("aarch64", "linux/arm64"),
            ("arm64/v8", "linux/arm64"),
            ("armv7", "linux/arm/v7"),
            ("armhf", "linux/arm/v7"),
            ("arm/v7", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7"),
            ("x86_64", "linux/amd64"),
            ("amd64", "linux/amd64"),
            ("386", "linux/386"),
            ("x86", "linux/386"),
            ("ppc64le", "linux/ppc64le"),
            ("s390x", "linux/s390x"),
            ("loong64", "linux/loong64"),
            ("wasm", "linux/wasm"),
        ] {
            assert_eq!(normalize(spelling).as_deref(), Some(want), "{spelling}");
        }
        assert_eq!(normalize("linux"), None, "a bare OS names no architecture");
    }

    #[test]
    fn runner_labels() {
        let l = |s: &[&str]| runner_platform(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(l(&["ubuntu-latest"]), Some("linux/amd64"));
        assert_eq!(l(&["ubuntu-24.04-arm"]), Some("linux/arm64"));
        assert_eq!(l(&["self-hosted", "linux", "ARM64"]), Some("linux/arm64"));
        assert_eq!(l(&["self-hosted", "linux", "X64"]), Some("linux/amd64"));
        assert_eq!(l(&["my-big-runner"]), None);
    }

    #[test]
    fn what_runs_without_emulation() {
        assert!(runs_natively("linux/amd64", "linux/386"));
        assert!(!runs_natively("linux/amd64", "linux/arm64"));
        // Depends on the cores; fluent-bit builds arm/v7 on ubuntu-22.04-arm without QEMU.
        assert!(runs_natively("linux/arm64", "linux/arm/v7"));
        assert!(!runs_natively("linux/arm64", "linux/riscv64"));
        assert!(!runs_natively("linux/arm64", "linux/amd64"));
    }
}
