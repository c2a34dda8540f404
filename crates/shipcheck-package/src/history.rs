//! Checks against the repository's history: the tag list against `upstream_tag_template`, and
//! whether Release was reset in the commit that changed Version. The binary runs git; these
//! functions take its output.

use shipcheck_report::{Finding, Subject};

use crate::rules::{RELEASE_NOT_RESET, TAG_TEMPLATE_MISMATCH};
use crate::spec::parse;
use crate::spec_check::version_from_tag;

/// What the packit configuration says about tags.
pub struct TagRules<'a> {
    pub template: &'a str,
    pub include: Option<&'a str>,
    pub exclude: Option<&'a str>,
}

/// Checks the tags (newest first) against the template, after packit's include/exclude
/// regexes. `at` is where the template is written.
pub fn check_tags(tags: &[String], rules: &TagRules, at: Subject) -> Vec<Finding> {
    let compile = |r: Option<&str>| r.and_then(|r| regex::Regex::new(r).ok());
    let (include, exclude) = (compile(rules.include), compile(rules.exclude));
    let considered: Vec<&String> = tags
        .iter()
        .filter(|t| include.as_ref().is_none_or(|r| r.is_match(t)))
        .filter(|t| exclude.as_ref().is_none_or(|r| !r.is_match(t)))
        .collect();
    let Some(newest) = considered.first() else { return Vec::new() };
    let matching: Vec<&&String> = considered.iter().filter(|t| version_from_tag(t, rules.template).is_some()).collect();
    let sample: Vec<&str> = considered.iter().take(3).map(|t| t.as_str()).collect();
    if matching.is_empty() {
        return vec![Finding::new(
            &TAG_TEMPLATE_MISMATCH,
            at,
            format!("upstream_tag_template `{}` matches none of the {} tags", rules.template, considered.len()),
        )
        .evidence("newest_tags", sample.join(", "))
        .remedy(
            "Make the template produce the tags as they are written (`v{version}` for v1.2.3, `{version}` for 1.2.3).",
        )];
    }
    if version_from_tag(newest, rules.template).is_none() {
        return vec![Finding::new(
            &TAG_TEMPLATE_MISMATCH,
            at,
            format!("the newest tag `{newest}` does not match upstream_tag_template `{}`", rules.template),
        )
        .evidence("newest_matching_tag", matching[0].as_str())
        .remedy("A release from this tag cannot be mapped to a version: tag releases as the template says, or exclude such tags with upstream_tag_exclude.")];
    }
    Vec::new()
}

/// Version and Release of a spec text, expanded; Release without the dist tag.
fn version_release(text: &str) -> Option<(String, String)> {
    let spec = parse(text);
    let version = spec.expand(spec.tag("version")?).ok()?;
    let release = spec.expand(spec.tag("release")?).ok()?;
    Some((version, release))
}

/// Whether Release was reset to 1 where Version last changed. `history` holds the spec's text
/// in the commits that touched it, newest first; `current` is the working tree's.
pub fn check_release_reset(current: &str, history: &[(String, String)], artifact: &str) -> Option<Finding> {
    let (version, _) = version_release(current)?;
    if current.contains("%autorelease") {
        return None;
    }
    // Walk back while the version is the current one: the last such text introduced it.
    let mut introduced = ("working tree".to_string(), current.to_string());
    let mut previous = None;
    for (commit, text) in history {
        match version_release(text) {
            Some((v, _)) if v == version => introduced = (commit.clone(), text.clone()),
            Some((v, r)) => {
                previous = Some((v, r));
                break;
            }
            None => break,
        }
    }
    let (old_version, old_release) = previous?;
    let (_, release) = version_release(&introduced.1)?;
    let number: String = release.chars().take_while(|c| c.is_ascii_digit()).collect();
    if number.parse::<u64>().is_ok_and(|n| n <= 1) {
        return None;
    }
    let line = parse(current).tag_line("release").unwrap_or(1) as u32;
    Some(
        Finding::new(
            &RELEASE_NOT_RESET,
            Subject::position(artifact, line, None),
            format!("Version changed from {old_version} to {version} with Release {release}, not reset to 1"),
        )
        .evidence("changed_in", introduced.0)
        .evidence("previous", format!("{old_version}-{old_release}"))
        .remedy("Set `Release: 1%{?dist}` in the commit that bumps Version, or use %autorelease."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tag_lists() {
        let at = || Subject::whole(".packit.yaml");
        let r = TagRules { template: "v{version}", include: None, exclude: None };
        assert!(check_tags(&tags(&["v1.2", "v1.1"]), &r, at()).is_empty());
        let f = check_tags(&tags(&["1.2", "1.1"]), &r, at());
        assert!(f[0].message.contains("matches none of the 2 tags"), "{}", f[0].message);
        let f = check_tags(&tags(&["nightly", "v1.1"]), &r, at());
        assert!(f[0].message.contains("newest tag `nightly`"));
        let r = TagRules { template: "v{version}", include: None, exclude: Some("^nightly$") };
        assert!(check_tags(&tags(&["nightly", "v1.1"]), &r, at()).is_empty());
        assert!(check_tags(&[], &r, at()).is_empty());
    }

    #[test]
    fn release_reset_in_history() {
        let spec = |v: &str, r: &str| format!("Name: x\nVersion: {v}\nRelease: {r}%{{?dist}}\n");
        let h = |items: &[(&str, String)]| items.iter().map(|(c, t)| (c.to_string(), t.clone())).collect::<Vec<_>>();
        // Bumped to 1.3 with Release 4 in commit c2: reported, naming the commit.
        let history = h(&[("c3", spec("1.3", "5")), ("c2", spec("1.3", "4")), ("c1", spec("1.2", "3"))]);
        let f = check_release_reset(&spec("1.3", "5"), &history, "x.spec").unwrap();
        assert!(f.message.contains("from 1.2 to 1.3 with Release 4"), "{}", f.message);
        // Reset at the bump, rebuilt later: fine.
        let history = h(&[("c3", spec("1.3", "2")), ("c2", spec("1.3", "1")), ("c1", spec("1.2", "3"))]);
        assert!(check_release_reset(&spec("1.3", "2"), &history, "x.spec").is_none());
        // An uncommitted bump is judged on the working tree.
        let history = h(&[("c1", spec("1.2", "3"))]);
        assert!(check_release_reset(&spec("1.3", "3"), &history, "x.spec").is_some());
        assert!(check_release_reset(&spec("1.3", "1"), &history, "x.spec").is_none());
        assert!(
            check_release_reset(&spec("1.3", "3").replace("3%{?dist}", "%autorelease"), &history, "x.spec").is_none()
        );
    }
}
