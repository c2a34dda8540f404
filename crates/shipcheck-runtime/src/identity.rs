//! Which implementation a binary is, from its `--version` output, whatever it is called.

use crate::version::Version;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `runc`, `crun`, `youki`, `runsc`, `krun`.
    pub implementation: String,
    pub version: Option<Version>,
    /// The OCI runtime-spec version it reports, if it does.
    pub spec: Option<String>,
}

const KNOWN: &[&str] = &["runc", "crun", "youki", "runsc", "krun", "kata-runtime", "runj"];

/// Parses `--version` output: `crun version 1.8.1`, `runc version 1.1.5+ds1`,
/// `youki version 0.3.3`, `runsc version release-20231009.0`. crun built with libkrun is krun.
pub fn identify(version_output: &str) -> Option<Identity> {
    let first = version_output.lines().find(|l| !l.trim().is_empty())?.trim();
    let mut words = first.split_whitespace();
    let name = words.next()?.to_ascii_lowercase();
    let name = name.rsplit('/').next().unwrap_or(&name).to_string();
    if words.next()? != "version" || !KNOWN.contains(&name.as_str()) {
        return None;
    }
    let version = words.next().and_then(Version::parse);
    let spec = version_output.lines().find_map(|l| l.trim().strip_prefix("spec:").map(|s| s.trim().to_string()));
    let implementation = if name == "crun" && version_output.contains("+LIBKRUN") { "krun".to_string() } else { name };
    Some(Identity { implementation, version, spec })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifies_real_outputs() {
        let crun =
            identify("crun version 1.8.1\ncommit: f8a0\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX\n").unwrap();
        assert_eq!(crun.implementation, "crun");
        assert_eq!(crun.version.unwrap().text, "1.8.1");
        assert_eq!(crun.spec.as_deref(), Some("1.0.0"));
        let runc =
            identify("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\n").unwrap();
        assert_eq!(runc.implementation, "runc");
        assert_eq!(runc.version.unwrap().parts, vec![1, 1, 5]);
        assert_eq!(identify("crun version 1.9\n+LIBKRUN +SECCOMP").unwrap().implementation, "krun");
        assert_eq!(
            identify("runsc version release-20231009.0\nspec: 1.1.0-rc.1").unwrap().version.unwrap().parts,
            vec![20231009, 0]
        );
        assert!(identify("hello world").is_none());
        assert!(identify("").is_none());
        assert!(identify("GNU bash, version 5.2").is_none());
    }
}
