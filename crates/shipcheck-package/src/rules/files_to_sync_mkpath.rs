//! `package/files-to-sync-mkpath`.

use shipcheck_core::yaml::{Node, Value};
use shipcheck_report::{declare_rule, Finding};

use crate::facts::{push_unique, strings, ConfigFacts, Facts};
use crate::schema::{boolean, string};
use crate::targets;

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
    pub RULE = ("package/files-to-sync-mkpath", Error, "a nested files_to_sync destination without mkpath");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(c) = &facts.config else { return };
    let mut found = Vec::new();
    for (scope, package) in c.scopes() {
        files_to_sync(c, scope.get("files_to_sync"), package, &mut found);
    }
    for j in c.jobs() {
        files_to_sync(c, j.get("files_to_sync"), "", &mut found);
    }
    push_unique(found, out);
}

/// Nested `files_to_sync` destinations without `mkpath`, each located at its entry.
fn files_to_sync(c: &ConfigFacts, list: Option<&Node>, package: &str, out: &mut Vec<Finding>) {
    for item in list.map(Node::items).unwrap_or_default() {
        let (src, dest, mkpath) = match &item.value {
            Value::Scalar { .. } => match string(item) {
                Some(s) => (s.to_string(), s.to_string(), false),
                None => continue,
            },
            Value::Map(_) => {
                let src = strings(item.get("src")).iter().filter_map(|n| n.str()).collect::<Vec<_>>().join(", ");
                let dest = item.get("dest").and_then(string).map(String::from).unwrap_or_else(|| src.clone());
                (src, dest, item.get("mkpath").and_then(boolean).unwrap_or(false))
            }
            Value::Seq(_) => continue,
        };
        let clean = dest.trim_start_matches("./").trim_end_matches('/');
        let Some((parent, _)) = clean.rsplit_once('/') else { continue };
        if mkpath || parent.is_empty() || parent == "." {
            continue;
        }
        let branches =
            if c.affected.is_empty() { "(no propose_downstream job)".to_string() } else { c.affected.join(", ") };
        let mut f = Finding::new(
            &RULE,
            c.at(item),
            format!("files_to_sync destination `{dest}` is nested (in `{parent}/`) and has no `mkpath: true`; propose-downstream fails on every branch where `{parent}/` does not exist"),
        )
        .evidence("src", &src)
        .evidence("dest", &dest)
        .evidence("affected_branches", branches)
        .evidence("branch_table", targets::table().as_of.clone())
        .remedy(format!("Write it as `- {{src: {src}, dest: {dest}, mkpath: true}}`."));
        if !package.is_empty() {
            f = f.evidence("package", package);
        }
        out.push(f);
    }
}
