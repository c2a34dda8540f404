//! The spec file against the release: reading it, the version a tag stands for, the build it
//! makes. Its rules (version against the tag, the changelog) are in src/rules/ and read [`SpecFacts`].

use std::path::Path;

use shipcheck_report::Finding;

use crate::facts::{Facts, SpecFacts};
use crate::spec::{parse, MAX_SPEC_BYTES};

/// What the release is: the tag, and the packit template that maps tags to versions.
pub struct Release<'a> {
    pub tag: Option<&'a str>,
    pub template: &'a str,
}

/// The version a tag stands for under `template` (`v{version}` + `v1.2` → `1.2`).
pub fn version_from_tag(tag: &str, template: &str) -> Option<String> {
    let (prefix, suffix) = template.split_once("{version}")?;
    tag.strip_prefix(prefix)?.strip_suffix(suffix).filter(|v| !v.is_empty()).map(String::from)
}

/// Reads a spec file (at most 4 MiB).
pub fn read(path: &Path) -> Result<String, crate::ReadError> {
    crate::read_capped(path, MAX_SPEC_BYTES as u64, "a spec file")
}

/// Checks a spec's text against the release (also the fuzzing entry point).
pub fn check_text(text: &str, artifact: &str, release: &Release, today: (i32, u32, u32)) -> Vec<Finding> {
    let spec = SpecFacts::measure(text, artifact, release.tag, release.template, today);
    crate::check::run(&Facts { spec: Some(spec), ..Facts::default() }, &|_| true)
}

/// The package name and the EVR the spec builds (an `%autorelease` release is left empty,
/// which compares on version alone). `None` when they cannot be expanded.
pub fn built(text: &str) -> Option<(String, crate::evr::Evr)> {
    let spec = parse(text);
    let name = spec.expand(spec.tag("name")?).ok()?;
    let version = spec.expand(spec.tag("version")?).ok()?;
    let release = spec.tag("release").and_then(|r| spec.expand(r).ok()).unwrap_or_default();
    let release = if release.contains("%autorelease") { String::new() } else { release };
    let epoch = spec.tag("epoch").and_then(|e| spec.expand(e).ok()).and_then(|e| e.parse().ok()).unwrap_or(0);
    Some((name, crate::evr::Evr { epoch, version, release }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: (i32, u32, u32) = (2026, 11, 23);

    fn rules(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.rule.id).collect()
    }

    const SPEC: &str = "Name: crun\nVersion: 1.16\nRelease: 1%{?dist}\nSource0: https://github.com/containers/crun/releases/download/%{version}/crun-%{version}.tar.zst\n\n%description\nx\n\n%changelog\n* Tue Jul 02 2024 A Person <a@example.com> - 1.16-1\n- Update to 1.16\n";

    #[test]
    fn clean_spec_matching_its_tag() {
        let f = check_text(SPEC, "crun.spec", &Release { tag: Some("1.16"), template: "{version}" }, TODAY);
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn version_behind_the_tag_and_wrong_template() {
        let f = check_text(SPEC, "crun.spec", &Release { tag: Some("1.17"), template: "{version}" }, TODAY);
        assert_eq!(rules(&f), vec!["package/version-tag-mismatch"]);
        assert!(f[0].message.contains("tag `1.17` is version 1.17"));
        let f = check_text(SPEC, "crun.spec", &Release { tag: Some("1.16"), template: "v{version}" }, TODAY);
        assert_eq!(rules(&f), vec!["package/version-tag-mismatch"]);
        assert!(f[0].message.contains("cannot produce the tag"));
        let vv = SPEC.replace("download/%{version}/", "download/vv%{version}/");
        let f = check_text(&vv, "crun.spec", &Release { tag: None, template: "v{version}" }, TODAY);
        assert_eq!(rules(&f), vec!["package/version-tag-mismatch"]);
    }

    #[test]
    fn changelog_checks() {
        let bumped = SPEC.replace("Version: 1.16", "Version: 1.17");
        let f = check_text(&bumped, "crun.spec", &Release { tag: None, template: "{version}" }, TODAY);
        assert_eq!(rules(&f), vec!["package/changelog"]);
        assert!(f[0].message.contains("entry is for 1.16-1, the spec builds 1.17-1"));
        let future = SPEC.replace("Tue Jul 02 2024", "Wed Jul 02 2031");
        assert_eq!(
            rules(&check_text(&future, "s", &Release { tag: None, template: "{version}" }, TODAY)),
            vec!["package/changelog"]
        );
        let macro_in = SPEC.replace("- Update to 1.16", "- Update to %{version}");
        assert_eq!(
            rules(&check_text(&macro_in, "s", &Release { tag: None, template: "{version}" }, TODAY)),
            vec!["package/changelog"]
        );
        let two = format!("{SPEC}\n%changelog\n* Mon Jul 01 2024 B <b@x> - 1.15-1\n- old\n");
        assert!(rules(&check_text(&two, "s", &Release { tag: None, template: "{version}" }, TODAY))
            .contains(&"package/changelog"));
        let auto = "Name: x\nVersion: 2\nRelease: %autorelease\n%changelog\n%autochangelog\n";
        assert!(check_text(auto, "s", &Release { tag: Some("2"), template: "{version}" }, TODAY).is_empty());
        let unknown = "Name: x\nVersion: %{upstream_version}\nRelease: 1\n";
        assert_eq!(
            rules(&check_text(unknown, "s", &Release { tag: Some("2"), template: "{version}" }, TODAY)),
            vec!["package/spec-unexpanded"]
        );
    }
}
