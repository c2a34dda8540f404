//! Platform strings as build tools write them, and the native platform of a runner.

use std::sync::OnceLock;

use serde::Deserialize;

/// The canonical `os/arch[/variant]` of what a user wrote, the way BuildKit reads it:
/// `linux/arm64/v8` is `linux/arm64`, `linux/arm` is `linux/arm/v7`, a bare `arm64` is Linux.
/// `None` when it is not a platform at all.
pub fn normalize(raw: &str) -> Option<String> {
    let s = raw.trim().to_ascii_lowercase();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.')) {
        return None;
    }
    let parts: Vec<&str> = s.split('/').collect();
    let (os, arch, variant) = match parts.as_slice() {
        [arch] => ("linux", *arch, None),
        [os, arch] => (*os, *arch, None),
        [os, arch, variant] => (*os, *arch, Some(*variant)),
        _ => return None,
    };
    if os.is_empty() || arch.is_empty() {
        return None;
    }
    let (arch, variant) = match (arch, variant) {
        ("x86_64" | "x86-64" | "amd64", Some("v1") | None) => ("amd64", None),
        ("aarch64" | "arm64", Some("v8") | None) => ("arm64", None),
        ("armhf" | "armv7" | "armv7l", None) | ("arm", None) => ("arm", Some("v7")),
        ("armel" | "armv6" | "armv6l", None) => ("arm", Some("v6")),
        ("i386" | "i686" | "x86", None) => ("386", None),
        (a, v) => (a, v),
    };
    Some(match variant {
        Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
        _ => format!("{os}/{arch}"),
    })
}

/// Splits a platform list as build-push-action and buildx take it: commas or newlines.
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()
}

/// Whether a runner of platform `native` runs binaries of `platform` without emulation.
/// x86-64 kernels run i386 binaries; the Arm cores of GitHub's arm64 runners (Neoverse N2)
/// have no AArch32, so arm/v7 needs QEMU there.
pub fn runs_natively(native: &str, platform: &str) -> bool {
    native == platform || (native == "linux/amd64" && platform == "linux/386")
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
        toml::from_str::<RunnerTable>(include_str!("../data/runners.toml")).expect("data/runners.toml is valid").runner
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
}
