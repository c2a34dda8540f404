//! Expansion of packit target aliases into dist-git branches, from data/targets.toml.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Branches {
    names: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Table {
    pub as_of: String,
    aliases: BTreeMap<String, Vec<String>>,
    branches: Branches,
}

impl Table {
    /// The newest branched Fedora release in the table (rawhide is one above it).
    pub fn newest_fedora(&self) -> Option<u32> {
        self.branches.names.iter().filter_map(|b| b.strip_prefix('f').and_then(|n| n.parse().ok())).max()
    }
}

pub fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| toml::from_str(include_str!("../data/targets.toml")).expect("data/targets.toml is valid"))
}

/// Architecture suffixes packit splits off a target before expanding it (packit
/// `packit/config/aliases.py`, `ARCHITECTURE_LIST`, as of packit 1.16.2, 2026-07-20).
pub const ARCHES: &[&str] = &["aarch64", "armhfp", "i386", "ppc64le", "s390x", "x86_64"];

/// Copr chroot families besides Fedora, EPEL and CentOS Stream that packit passes to Copr as
/// they are (`<family>-<version>-<arch>`): packit's `expand_aliases` keeps a target it does not
/// know as the original string, and Copr decides. The families are those of mock's chroot
/// configurations, which Copr's chroots are built from (rpm-software-management/mock,
/// `mock-core-configs/etc/mock/<family>-<version>-<arch>.cfg` and its README table, read
/// 2026-12-02).
const COPR_FAMILIES: &[&str] = &[
    "rhel-",
    "almalinux-",
    "rocky-",
    "oraclelinux-",
    "amazonlinux-",
    "opensuse-leap-",
    "opensuse-tumbleweed",
    "opensuse-slowroll",
    "mageia-",
    "openmandriva-",
    "openeuler-",
];

/// The branches a target stands for, or `None` when it is unknown. As packit resolves it
/// (`expand_aliases`): an alias; else a distro by its name (`fedora-43`, `fedora-rawhide`,
/// `fedora-eln`, `epel-9`, `centos-stream-10`) or its branch (`f43`, `rawhide`, `eln`,
/// `epel9`, `c10s`); a Copr/Koji target with an architecture suffix (`fedora-all-x86_64`,
/// `fedora-eln-aarch64`) expands like the name without it.
pub fn expand(target: &str) -> Option<Vec<String>> {
    let t = table();
    if let Some(b) = t.aliases.get(target) {
        return Some(b.clone());
    }
    if t.branches.names.iter().any(|b| b == target) {
        return Some(vec![target.to_string()]);
    }
    if let Some(branch) = distro_branch(target) {
        return Some(vec![branch]);
    }
    if let Some(base) = ARCHES.iter().find_map(|a| target.strip_suffix(a).and_then(|b| b.strip_suffix('-'))) {
        return expand(base).or_else(|| copr_only(base).then(|| vec![base.to_string()]));
    }
    if copr_only(target) {
        return Some(vec![target.to_string()]);
    }
    // Explicit Fedora/EPEL/CentOS branches the table does not list yet (f45, epel10.1, c11s).
    let versioned = ["f", "epel", "c"];
    if versioned.iter().any(|p| target.strip_prefix(p).is_some_and(version_like)) {
        return Some(vec![target.to_string()]);
    }
    None
}

/// `1`, `10.1`, `10s`: a release number as branch and distro names write it.
fn version_like(n: &str) -> bool {
    let n = n.strip_suffix('s').unwrap_or(n);
    !n.is_empty() && n.starts_with(|c: char| c.is_ascii_digit()) && n.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The dist-git branch of a distro named as fedora-distro-aliases names it (`fedora-43` →
/// `f43`, `fedora-rawhide` → `rawhide`, `fedora-eln` → `eln`, `epel-9` → `epel9`,
/// `centos-stream-10` → `c10s`).
fn distro_branch(name: &str) -> Option<String> {
    match name {
        "fedora-rawhide" => return Some("rawhide".into()),
        "fedora-eln" => return Some("eln".into()),
        _ => {}
    }
    if let Some(n) = name.strip_prefix("fedora-").filter(|n| version_like(n) && !n.ends_with('s')) {
        return Some(format!("f{n}"));
    }
    if let Some(n) = name.strip_prefix("epel-").filter(|n| version_like(n) && !n.ends_with('s')) {
        return Some(format!("epel{n}"));
    }
    if let Some(n) = name.strip_prefix("centos-stream-").filter(|n| version_like(n) && !n.ends_with('s')) {
        return Some(format!("c{n}s"));
    }
    None
}

/// A Copr chroot family other than Fedora/EPEL/CentOS Stream (`rhel-10`, `opensuse-tumbleweed`),
/// which only Copr and Testing Farm jobs build for.
fn copr_only(name: &str) -> bool {
    COPR_FAMILIES.iter().any(|f| match name.strip_prefix(f) {
        Some(rest) if f.ends_with('-') => {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        }
        Some(rest) => rest.is_empty(),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_aliases() {
        assert!(expand("fedora-all").unwrap().contains(&"rawhide".to_string()));
        assert_eq!(expand("c10s").unwrap(), vec!["c10s"]);
        assert_eq!(expand("fedora-all-x86_64"), expand("fedora-all"));
        assert_eq!(expand("f44").unwrap(), vec!["f44"]);
        assert!(expand("fedora-al").is_none());
        assert!(expand("ubuntu-latest").is_none());
        // Names packit maps to a branch, and Copr chroots with an architecture.
        assert_eq!(expand("fedora-rawhide").unwrap(), vec!["rawhide"]);
        assert_eq!(expand("fedora-eln-x86_64").unwrap(), vec!["eln"]);
        assert_eq!(expand("fedora-43").unwrap(), vec!["f43"]);
        assert_eq!(expand("centos-stream-10-ppc64le").unwrap(), vec!["c10s"]);
        assert_eq!(expand("epel-9-aarch64").unwrap(), vec!["epel9"]);
        assert_eq!(expand("fedora-latest-stable-s390x"), expand("fedora-latest-stable"));
        assert_eq!(expand("rhel-10-x86_64").unwrap(), vec!["rhel-10"]);
        assert!(expand("opensuse-tumbleweed-x86_64").is_some());
        // A typo in the architecture stays unknown.
        assert!(expand("centos-stream-9-pcc64le").is_none());
        assert!(expand("fedora-all-arm64").is_none());
    }
}
