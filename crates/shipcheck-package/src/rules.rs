//! Rules of the packaging preflight.

use shipcheck_report::{declare_rule, Rule};

declare_rule! {
    /// ## What it catches
    /// A `files_to_sync` entry in .packit.yaml whose destination is a nested path (it has a
    /// parent directory) and which does not set `mkpath: true`.
    ///
    /// ## Why it breaks releases
    /// propose-downstream syncs with rsync into dist-git; when the parent directory does not
    /// exist there, rsync fails with `change_dir … No such file or directory` and the update
    /// is never proposed to any branch. crun 1.16/1.17 failed this way for Fedora and CentOS
    /// Stream 10 when it began syncing `tests/tmt` (containers/crun#1558, #1559).
    ///
    /// ## Fix
    /// Write the entry as a mapping with `mkpath: true`:
    /// `- {src: tests/tmt/, dest: tests/tmt/, mkpath: true}`.
    ///
    /// ## Example
    /// `files_to_sync: [tests/tmt/]` with propose_downstream to fedora-all and c10s.
    pub FILES_TO_SYNC_MKPATH = ("package/files-to-sync-mkpath", Error, "a nested files_to_sync destination without mkpath");
}

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
    pub UNKNOWN_TARGET = ("package/unknown-target", Warning, "an unknown target or dist-git branch");
}

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
    pub UNKNOWN_KEY = ("package/unknown-key", Error, "a misspelled packit configuration key");
}

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml that is not valid YAML, or whose top level is not a mapping.
    ///
    /// ## Why it breaks releases
    /// packit cannot run any job.
    ///
    /// ## Fix
    /// Fix the syntax; `packit config validate` checks it too.
    ///
    /// ## Example
    /// `mapping values are not allowed in this context at line 3 column 9`.
    pub INVALID_CONFIG = ("package/invalid-config", Error, "the packit configuration cannot be read");
}

pub static ALL: &[&Rule] = &[&FILES_TO_SYNC_MKPATH, &INVALID_CONFIG, &UNKNOWN_KEY, &UNKNOWN_TARGET];
