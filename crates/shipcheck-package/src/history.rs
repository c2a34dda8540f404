//! Checks against the repository's history: the tag list against `upstream_tag_template`, and
//! whether Release was reset in the commit that changed Version. [`crate::git`] reads the
//! history; these functions take it as text (as the rules do, through [`crate::facts`]).

use shipcheck_report::{Finding, Subject};

use crate::facts::{Facts, HistoryFacts, TagFacts};
use crate::spec::parse;

/// What the packit configuration says about tags.
pub struct TagRules<'a> {
    pub template: &'a str,
    pub include: Option<&'a str>,
    pub exclude: Option<&'a str>,
}

/// Checks the tags (newest first) against the template, after packit's include/exclude
/// regexes. `at` is where the template is written.
pub fn check_tags(tags: &[String], rules: &TagRules, at: Subject) -> Vec<Finding> {
    let tags = TagFacts {
        tags: tags.to_vec(),
        template: rules.template.to_string(),
        include: rules.include.map(String::from),
        exclude: rules.exclude.map(String::from),
        at,
    };
    crate::check::run(&Facts { tags: Some(tags), ..Facts::default() }, &|_| true)
}

/// Version and Release of a spec text, expanded; Release without the dist tag.
pub(crate) fn version_release(text: &str) -> Option<(String, String)> {
    let spec = parse(text);
    let version = spec.expand(spec.tag("version")?).ok()?;
    let release = spec.expand(spec.tag("release")?).ok()?;
    Some((version, release))
}

/// Whether Release was reset to 1 where Version last changed. `history` holds the spec's text
/// in the commits that touched it, newest first; `current` is the working tree's.
pub fn check_release_reset(current: &str, history: &[(String, String)], artifact: &str) -> Option<Finding> {
    let history =
        HistoryFacts { artifact: artifact.to_string(), current: current.to_string(), commits: history.to_vec() };
    crate::check::run(&Facts { history: Some(history), ..Facts::default() }, &|_| true).pop()
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
