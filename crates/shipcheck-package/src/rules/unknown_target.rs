//! `package/unknown-target`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{push_unique, strings, Facts};
use crate::schema::string;
use crate::targets;

declare_rule! {
    /// ## What it catches
    /// A job target or dist-git branch that is neither a packit alias (fedora-all,
    /// fedora-stable, epel-all, …) nor a branch name shipcheck knows, in its dated table
    /// (crates/shipcheck-package/data/targets.toml).
    ///
    /// ## Why it breaks releases
    /// An unknown alias or a branch that no longer exists makes the job fail or silently skip
    /// the distribution.
    ///
    /// ## Fix
    /// Use a packit alias, or a branch that exists in dist-git.
    ///
    /// ## Example
    /// `dist_git_branches: [fedora-al]`.
    pub RULE = ("package/unknown-target", Warning, "an unknown target or dist-git branch");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(c) = &facts.config else { return };
    let mut found = Vec::new();
    for j in c.jobs() {
        let kind = j.get("job").and_then(string).unwrap_or_default();
        let names = strings(j.get("dist_git_branches")).into_iter().chain(strings(j.get("targets")));
        for node in names {
            let name = node.str().unwrap_or_default();
            if targets::expand(name).is_some() {
                continue;
            }
            found.push(
                Finding::new(
                    &RULE,
                    c.at(node),
                    format!("`{name}` is not a packit alias or a known branch (table of {})", targets::table().as_of),
                )
                .evidence("job", kind)
                .remedy(
                    "Use a packit alias (fedora-all, fedora-stable, epel-all, …) or a branch that exists in dist-git.",
                ),
            );
        }
    }
    push_unique(found, out);
}
