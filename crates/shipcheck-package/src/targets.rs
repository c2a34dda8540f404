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

/// The branches a target stands for, or `None` when it is unknown. Copr/Koji targets with an
/// architecture suffix (`fedora-all-x86_64`) expand like the alias without it.
pub fn expand(target: &str) -> Option<Vec<String>> {
    let t = table();
    if let Some(b) = t.aliases.get(target) {
        return Some(b.clone());
    }
    if t.branches.names.iter().any(|b| b == target) {
        return Some(vec![target.to_string()]);
    }
    for arch in ["-x86_64", "-aarch64", "-ppc64le", "-s390x", "-i386", "-armhfp"] {
        if let Some(base) = target.strip_suffix(arch) {
            return expand(base);
        }
    }
    // Explicit Fedora/EPEL/CentOS releases the table does not list yet (f44, epel10.1, c11s).
    let versioned = ["f", "fedora-", "epel", "epel-", "c", "centos-stream-"];
    if versioned.iter().any(|p| {
        target
            .strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.trim_end_matches('s').chars().all(|c| c.is_ascii_digit() || c == '.'))
    }) {
        return Some(vec![target.to_string()]);
    }
    None
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
    }
}
