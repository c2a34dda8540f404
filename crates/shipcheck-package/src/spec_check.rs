//! Release checks on the spec file: version against the release tag, the top changelog entry.

use std::path::Path;

use shipcheck_report::{Finding, Subject};

use crate::evr::rpmvercmp;
use crate::rules::*;
use crate::spec::{entry_header, parse, Spec, MAX_SPEC_BYTES};

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
pub fn read(path: &Path) -> Result<String, String> {
    crate::read_capped(path, MAX_SPEC_BYTES as u64, "a spec file")
}

pub fn check_text(text: &str, artifact: &str, release: &Release, today: (i32, u32, u32)) -> Vec<Finding> {
    let spec = parse(text);
    let mut out = Vec::new();
    let at = |line: Option<usize>| match line {
        Some(l) => Subject::position(artifact, l as u32, None),
        None => Subject::whole(artifact),
    };
    let value = |tag: &str, out: &mut Vec<Finding>| -> Option<String> {
        let raw = spec.tag(tag)?;
        match spec.expand(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                out.push(
                    Finding::new(&SPEC_UNEXPANDED, at(spec.tag_line(tag)), format!("{tag}: {e}"))
                        .evidence("value", raw),
                );
                None
            }
        }
    };
    let version = value("version", &mut out);
    let rel = value("release", &mut out);

    if let (Some(tag), Some(v)) = (release.tag, &version) {
        match version_from_tag(tag, release.template) {
            Some(tv) if rpmvercmp(&tv, v).is_eq() => {}
            Some(tv) => out.push(
                Finding::new(&VERSION_TAG_MISMATCH, at(spec.tag_line("version")), format!("the spec says Version {v}, the tag `{tag}` is version {tv}"))
                    .evidence("tag", tag)
                    .evidence("upstream_tag_template", release.template)
                    .remedy(format!("Set Version to {tv} for this release.")),
            ),
            None => out.push(
                Finding::new(&VERSION_TAG_MISMATCH, Subject::whole(artifact), format!("upstream_tag_template `{}` cannot produce the tag `{tag}`", release.template))
                    .evidence("tag", tag)
                    .evidence("template_gives", release.template.replace("{version}", v))
                    .remedy("Make upstream_tag_template match the real tags (`v{version}` for `v1.2.3`, `{version}` for `1.2.3`)."),
            ),
        }
    }
    // A `v` applied twice: the template adds one and the Source URL adds another.
    if let (Some(v), Some(src)) = (&version, spec.tag("source0").or(spec.tag("source"))) {
        if let Ok(url) = spec.expand(src) {
            if url.contains(&format!("vv{v}")) {
                out.push(
                    Finding::new(
                        &VERSION_TAG_MISMATCH,
                        at(spec.tag_line("source0").or(spec.tag_line("source"))),
                        format!("Source URL has a doubled `v` prefix: `vv{v}`"),
                    )
                    .evidence("url", url)
                    .remedy("Remove one `v`: either the template or the Source URL adds it, not both."),
                );
            }
        }
    }
    changelog(&spec, text, artifact, version.as_deref(), rel.as_deref(), today, &mut out);
    out
}

fn changelog(
    spec: &Spec,
    text: &str,
    artifact: &str,
    version: Option<&str>,
    release: Option<&str>,
    today: (i32, u32, u32),
    out: &mut Vec<Finding>,
) {
    let at = |line: usize| Subject::position(artifact, line as u32, None);
    if spec.changelogs.len() > 1 {
        out.push(
            Finding::new(
                &CHANGELOG,
                at(spec.changelogs[1]),
                format!("{} %changelog sections; rpm reads one", spec.changelogs.len()),
            )
            .remedy("Merge them into one %changelog at the end of the spec."),
        );
    }
    if spec.autochangelog {
        return;
    }
    let Some((header, line)) = &spec.top_entry else { return };
    let Some((date, evr)) = entry_header(header) else { return };
    if let (Some(v), Some(r), Some(evr)) = (version, release, evr.as_deref()) {
        if !r.contains("%autorelease") {
            let want = format!("{v}-{r}");
            let have = evr.split_once(':').map_or(evr, |(_, rest)| rest);
            if have != want && !want.starts_with(&format!("{have}.")) {
                out.push(
                    Finding::new(
                        &CHANGELOG,
                        at(*line),
                        format!("the top %changelog entry is for {have}, the spec builds {want}"),
                    )
                    .evidence("entry", header.as_str())
                    .remedy(format!("Add a %changelog entry for {want}.")),
                );
            }
        }
    }
    if let Some(d) = parse_date(&date) {
        if d > today {
            out.push(
                Finding::new(
                    &CHANGELOG,
                    at(*line),
                    format!("the top %changelog entry is dated in the future ({date})"),
                )
                .remedy("Use today's date; rpmbuild rejects future dates."),
            );
        }
    }
    // Macros in entries are expanded by rpm at build time: escape them.
    let entries = text.lines().enumerate().skip(spec.changelogs.last().copied().unwrap_or(0));
    if let Some((i, l)) =
        entries.filter(|(_, l)| !l.trim_start().starts_with('*')).find(|(_, l)| l.replace("%%", "").contains('%'))
    {
        out.push(
            Finding::new(&CHANGELOG, at(i + 1), "a %changelog entry contains a macro; rpm expands it at build time")
                .severity(shipcheck_report::Severity::Warning)
                .evidence("line", l.trim())
                .remedy("Escape % as %% in changelog text."),
        );
    }
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

/// `Tue Jul 02 2024` → (2024, 7, 2).
fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let w: Vec<&str> = s.split_whitespace().collect();
    let name = *w.get(1)?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == name)? as u32
        + 1;
    Some((w.get(3)?.parse().ok()?, month, w.get(2)?.parse().ok()?))
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
