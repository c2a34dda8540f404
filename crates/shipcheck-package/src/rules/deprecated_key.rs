//! `package/deprecated-key`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{deprecated, push_unique, Facts};

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml key packit renamed or stopped reading: `upstream_project_name`,
    /// `synced_files`, `dist_git_url`, a job's `metadata` mapping, `dist_git_branch`.
    ///
    /// ## Why it breaks releases
    /// Renamed keys still work with a warning today and stop working when packit drops them;
    /// a key packit no longer reads (`dist_git_url`) silently does nothing.
    ///
    /// ## Fix
    /// Use the key named in the finding.
    ///
    /// ## Example
    /// `synced_files:` → `files_to_sync:`; `metadata: {targets: …}` → `targets:` under the job.
    pub RULE = ("package/deprecated-key", Warning, "a packit key that was renamed or is no longer read");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(c) = &facts.config else { return };
    let mut found = Vec::new();
    for (map, in_job) in c.value_maps() {
        for (k, _) in map.entries() {
            let Some(key) = k.str() else { continue };
            let Some(d) = deprecated(key, in_job) else { continue };
            // Located at the key: the key is what to replace.
            found.push(
                Finding::new(&RULE, c.at(k), format!("`{key}` is deprecated: use {}", d.replacement))
                    .evidence("key", key)
                    .evidence("source", &d.source)
                    .remedy(format!("Replace `{key}` with {}.", d.replacement)),
            );
        }
    }
    push_unique(found, out);
}
