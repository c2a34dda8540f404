//! `package/tag-template-mismatch`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;
use crate::spec_check::version_from_tag;

declare_rule! {
    /// ## What it catches
    /// `upstream_tag_template` against the repository's tags (after `upstream_tag_include` and
    /// `upstream_tag_exclude`): a template that matches none of them, or a newest tag that it
    /// does not match.
    ///
    /// ## Why it breaks releases
    /// packit maps the release tag to a version through the template; a tag it cannot map
    /// fails propose-downstream and pull-from-upstream for that release.
    ///
    /// ## Fix
    /// Make the template produce the tags as they are written, or exclude tags that are not
    /// releases with `upstream_tag_exclude`.
    ///
    /// ## Example
    /// Tags `1.2.0`, `1.1.0` and `upstream_tag_template: v{version}`.
    pub RULE = ("package/tag-template-mismatch", Warning, "upstream_tag_template does not fit the repository's tags");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(t) = &facts.tags else { return };
    let compile = |r: Option<&str>| r.and_then(|r| regex::Regex::new(r).ok());
    let (include, exclude) = (compile(t.include.as_deref()), compile(t.exclude.as_deref()));
    let considered: Vec<&String> = t
        .tags
        .iter()
        .filter(|tag| include.as_ref().is_none_or(|r| r.is_match(tag)))
        .filter(|tag| exclude.as_ref().is_none_or(|r| !r.is_match(tag)))
        .collect();
    let Some(newest) = considered.first() else { return };
    let template = t.template.as_str();
    let matching: Vec<&&String> = considered.iter().filter(|tag| version_from_tag(tag, template).is_some()).collect();
    let sample: Vec<&str> = considered.iter().take(3).map(|tag| tag.as_str()).collect();
    if matching.is_empty() {
        out.push(
            Finding::new(
                &RULE,
                t.at.clone(),
                format!("upstream_tag_template `{template}` matches none of the {} tags", considered.len()),
            )
            .evidence("newest_tags", sample.join(", "))
            .remedy(
                "Make the template produce the tags as they are written (`v{version}` for v1.2.3, `{version}` for 1.2.3).",
            ),
        );
    } else if version_from_tag(newest, template).is_none() {
        out.push(Finding::new(
            &RULE,
            t.at.clone(),
            format!("the newest tag `{newest}` does not match upstream_tag_template `{template}`"),
        )
        .evidence("newest_matching_tag", matching[0].as_str())
        .remedy("A release from this tag cannot be mapped to a version: tag releases as the template says, or exclude such tags with upstream_tag_exclude."));
    }
}
