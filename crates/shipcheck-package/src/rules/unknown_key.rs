//! `package/unknown-key`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{push_unique, Facts};

declare_rule! {
    /// ## What it catches
    /// A key in .packit.yaml that packit does not know but that is one or two letters away
    /// from one it does (a typo), with the suggestion.
    ///
    /// ## Why it breaks releases
    /// packit ignores or rejects unknown keys: the setting you wrote does not apply.
    ///
    /// ## Fix
    /// Use the suggested key.
    ///
    /// ## Example
    /// `upstream_tag_templte` → did you mean `upstream_tag_template`?
    pub RULE = ("package/unknown-key", Error, "a misspelled packit configuration key");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(c) = &facts.config else { return };
    let mut found = Vec::new();
    for (map, _) in c.key_maps() {
        for (k, _) in map.entries() {
            let Some(key) = k.str() else { continue };
            if let Some(s) = suggestion(key) {
                found.push(
                    Finding::new(&RULE, c.at(k), format!("unknown key `{key}`: did you mean `{s}`?"))
                        .evidence("key", key)
                        .evidence("suggestion", s)
                        .remedy(format!("Rename `{key}` to `{s}`.")),
                );
            }
        }
    }
    push_unique(found, out);
}

/// Keys packit documents at the top level and in `packages.*` (https://packit.dev/docs/configuration).
/// Only used to suggest a fix for a key one or two edits away from one of these: a key not in
/// the list is never reported on its own, since packit adds keys over time.
const KNOWN_KEYS: &[&str] = &[
    "specfile_path",
    "files_to_sync",
    "upstream_package_name",
    "downstream_package_name",
    "upstream_project_url",
    "upstream_ref",
    "upstream_tag_template",
    "upstream_tag_include",
    "upstream_tag_exclude",
    "archive_root_dir_template",
    "actions",
    "jobs",
    "packages",
    "paths",
    "srpm_build_deps",
    "issue_repository",
    "notifications",
    "copy_upstream_release_description",
    "sync_changelog",
    "create_pr",
    "patch_generation_ignore_paths",
    "patch_generation_patch_id_digits",
    "allowed_gpg_keys",
    "packit_instances",
    "version_update_mask",
    "parse_time_macros",
    "prerelease_suffix_pattern",
    "prerelease_suffix_macro",
    "upload_sources",
    "pkg_tool",
    "dist_git_base_url",
    "dist_git_namespace",
    "allowed_pr_authors",
    "allowed_committers",
    "follow_fedora_branching",
    "job",
    "trigger",
    "targets",
    "dist_git_branches",
    "branch",
    "identifier",
    "metadata",
    "skip_build",
    "manual_trigger",
    "tmt_plan",
    "tf_extra_params",
    "owner",
    "project",
    "preserve_project",
    "list_on_homepage",
    "enable_net",
    "additional_repos",
    "additional_packages",
    "module_hotfixes",
    "release_suffix",
    "require",
    "env",
    "fmf_url",
    "fmf_ref",
    "fmf_path",
    "use_internal_tf",
    "sidetag_group",
    "dependents",
    "dependencies",
    "scratch",
];

/// The known key a misspelled key most likely meant. Candidates go in alphabetical order, so
/// that of two equally near keys the first in that order is named, whatever the order above.
fn suggestion(key: &str) -> Option<&'static str> {
    let mut known = KNOWN_KEYS.to_vec();
    known.sort_unstable();
    shipcheck_core::suggest::did_you_mean(key, known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_misses() {
        assert_eq!(suggestion("upstream_tag_templte"), Some("upstream_tag_template"));
        assert_eq!(suggestion("files_to_snyc"), Some("files_to_sync"));
        assert_eq!(suggestion("specfile_path"), None);
        assert_eq!(suggestion("some_brand_new_packit_key"), None);
        assert_eq!(suggestion("dist_git_branchs"), Some("dist_git_branches"));
        assert_eq!(suggestion("upstream_tag_exlcude"), Some("upstream_tag_exclude"), "a swap is one edit");
        assert_eq!(suggestion("fmf_pth"), Some("fmf_path"));
        assert_eq!(suggestion("jo"), None, "too short for an edit to be a typo");
        assert_eq!(suggestion("jobz"), Some("job"), "a tie goes to the first in alphabetical order");
        assert_eq!(suggestion("enve"), Some("env"));
    }
}
