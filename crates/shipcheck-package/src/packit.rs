//! .packit.yaml checks: nested `files_to_sync` destinations without `mkpath` (the crun
//! 1.16/1.17 failure), target and branch aliases, and misspelled keys.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use shipcheck_report::{Finding, Subject};
use yaml_rust2::{Yaml, YamlLoader};

use crate::rules::*;
use crate::targets;

/// Config file names packit accepts, in its order of preference.
pub const NAMES: &[&str] = &[".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"];

pub fn find(dir: &Path) -> Option<PathBuf> {
    NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
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

fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known key a misspelled key most likely meant.
fn suggestion(key: &str) -> Option<&'static str> {
    if KNOWN_KEYS.contains(&key) {
        return None;
    }
    KNOWN_KEYS
        .iter()
        .map(|k| (distance(key, k), *k))
        .filter(|(d, _)| *d <= 2 && *d < key.len() / 3 + 1)
        .min()
        .map(|(_, k)| k)
}

/// 1-based line of the first line at or after `from` that contains `needle`.
fn line_of(text: &str, needle: &str, from: usize) -> Option<usize> {
    text.lines().enumerate().skip(from.saturating_sub(1)).find(|(_, l)| l.contains(needle)).map(|(i, _)| i + 1)
}

fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        // Newer configs map branches to options: {rawhide: {fast_forward_merge_into: [...]}}.
        Yaml::Hash(h) => h.keys().filter_map(|k| k.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

struct Ctx<'a> {
    artifact: String,
    text: &'a str,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn at(&self, line: Option<usize>) -> Subject {
        match line {
            Some(l) => Subject::position(&self.artifact, l as u32, None),
            None => Subject::whole(&self.artifact),
        }
    }
}

/// Reads a packit configuration (at most 1 MiB).
pub fn read(path: &Path) -> Result<String, String> {
    crate::read_capped(path, 1 << 20, "a packit configuration")
}

/// Checks one packit configuration. `Err` when the file cannot be read at all.
pub fn check(path: &Path, artifact: &str) -> Result<Vec<Finding>, String> {
    Ok(check_text(&read(path)?, artifact))
}

/// Checks the text of a packit configuration (also the fuzzing entry point).
pub fn check_text(text: &str, artifact: &str) -> Vec<Finding> {
    let mut c = Ctx { artifact: artifact.to_string(), text, findings: Vec::new() };
    let folded = fold_merge_keys(text);
    let docs = match YamlLoader::load_from_str(&folded) {
        Ok(d) => d,
        Err(e) => {
            let line = Some(e.marker().line());
            let s = c.at(line);
            c.findings.push(
                Finding::new(&INVALID_CONFIG, s, format!("not valid YAML: {e}"))
                    .remedy("Fix the syntax; `packit config validate` checks it too."),
            );
            return c.findings;
        }
    };
    let Some(doc) = docs.first().filter(|d| matches!(d, Yaml::Hash(_))) else {
        let s = c.at(None);
        c.findings.push(Finding::new(&INVALID_CONFIG, s, "the top level is not a mapping of packit keys"));
        return c.findings;
    };
    let doc = &merge_keys(doc, 0);
    keys(&mut c, doc);
    values(&mut c, doc, false);
    // Per-package configs (monorepos) carry their own keys and files_to_sync.
    let mut scopes: Vec<(&Yaml, String)> = vec![(doc, String::new())];
    if let Yaml::Hash(pkgs) = &doc["packages"] {
        for (name, cfg) in pkgs {
            keys(&mut c, cfg);
            values(&mut c, cfg, false);
            scopes.push((cfg, name.as_str().unwrap_or_default().to_string()));
        }
    }
    let jobs = doc["jobs"].as_vec().cloned().unwrap_or_default();
    for (i, j) in jobs.iter().enumerate() {
        keys(&mut c, j);
        values(&mut c, j, true);
        job_kind(&mut c, j, i);
    }
    let affected = downstream_branches(&mut c, &jobs);
    for (scope, pkg) in scopes {
        files_to_sync(&mut c, &scope["files_to_sync"], &pkg, &affected);
    }
    for j in &jobs {
        files_to_sync(&mut c, &j["files_to_sync"], "", &affected);
    }
    // Keys are located by their first occurrence: the same problem in several jobs is one finding.
    let mut seen = BTreeSet::new();
    c.findings.retain(|f| seen.insert((f.rule.id, f.subject.clone(), f.message.clone())));
    c.findings
}

fn keys(c: &mut Ctx, map: &Yaml) {
    let Yaml::Hash(h) = map else { return };
    for k in h.keys().filter_map(|k| k.as_str()) {
        if let Some(s) = suggestion(k) {
            let line = line_of(c.text, &format!("{k}:"), 1);
            let subject = c.at(line);
            c.findings.push(
                Finding::new(&UNKNOWN_KEY, subject, format!("unknown key `{k}`: did you mean `{s}`?"))
                    .evidence("key", k)
                    .evidence("suggestion", s)
                    .remedy(format!("Rename `{k}` to `{s}`.")),
            );
        }
    }
}

/// Type-checks the known keys of one mapping and reports deprecated ones. `in_job` also checks
/// the keys of a job's deprecated `metadata` mapping.
fn values(c: &mut Ctx, map: &Yaml, in_job: bool) {
    let Yaml::Hash(h) = map else { return };
    let schema = crate::schema::schema();
    for (k, v) in h {
        let Some(key) = k.as_str() else { continue };
        let line = line_of(c.text, &format!("{key}:"), 1);
        if let Some(d) = schema.deprecated.get(key).filter(|d| d.scope.as_deref() != Some("job") || in_job) {
            let subject = c.at(line);
            c.findings.push(
                Finding::new(&DEPRECATED_KEY, subject, format!("`{key}` is deprecated: use {}", d.replacement))
                    .evidence("key", key)
                    .evidence("source", &d.source)
                    .remedy(format!("Replace `{key}` with {}.", d.replacement)),
            );
            if key == "metadata" {
                values(c, v, false);
            }
            continue;
        }
        let Some(ty) = schema.keys.get(key) else { continue };
        // A job selects packages by name (a list) or with per-package settings (a mapping).
        let ty = if in_job && key == "packages" { "job-packages" } else { ty.as_str() };
        if !crate::schema::fits(ty, v) {
            let subject = c.at(line);
            c.findings.push(
                Finding::new(
                    &INVALID_VALUE,
                    subject,
                    format!("`{key}` must be {}, not {}", crate::schema::expected(ty), crate::schema::describe(v)),
                )
                .evidence("key", key)
                .remedy(format!(
                    "Write `{key}` as {}; packit rejects the whole configuration otherwise.",
                    crate::schema::expected(ty)
                )),
            );
        }
    }
}

/// Applies YAML merge keys (`<<: *anchor`), which packit's YAML loader (PyYAML) honours and
/// real configurations use to share job settings. Keys written in the mapping win.
fn merge_keys(y: &Yaml, depth: usize) -> Yaml {
    if depth > 64 {
        return y.clone();
    }
    match y {
        Yaml::Hash(h) => {
            let mut out = yaml_rust2::yaml::Hash::new();
            for (k, v) in h {
                if k.as_str() != Some("<<") {
                    out.insert(k.clone(), merge_keys(v, depth + 1));
                }
            }
            if let Some(m) = h.get(&Yaml::String("<<".into())) {
                let sources: Vec<&Yaml> = match m {
                    Yaml::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for src in sources {
                    if let Yaml::Hash(sh) = merge_keys(src, depth + 1) {
                        for (k, v) in sh {
                            out.entry(k).or_insert(v);
                        }
                    }
                }
                // Several `<<` keys in one mapping are legal for PyYAML, but a loader keeps only
                // the last: mark the mapping so that missing keys are not reported.
                out.insert(Yaml::String(MERGED.into()), Yaml::Boolean(true));
            }
            Yaml::Hash(out)
        }
        Yaml::Array(a) => Yaml::Array(a.iter().map(|i| merge_keys(i, depth + 1)).collect()),
        other => other.clone(),
    }
}

/// PyYAML accepts several `<<: *anchor` keys in one mapping (tmt's configuration has them);
/// yaml-rust2 refuses duplicate keys. Folds repeats that follow each other into one
/// `<<: [*a, *b]` on the first line and blanks the others, so that line numbers stay the same.
fn fold_merge_keys(text: &str) -> String {
    fn merge_ref(line: &str) -> Option<(usize, &str)> {
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        let (col, rest) = match rest.strip_prefix("- ") {
            Some(r) => (indent + 2 + (r.len() - r.trim_start().len()), r.trim_start()),
            None => (indent, rest),
        };
        let target = rest.strip_prefix("<<:")?.trim();
        (target.starts_with('*') && !target.contains(' ')).then_some((col, target))
    }
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // (first line index, key column, aliases)
    let mut open: Option<(usize, usize, Vec<String>)> = None;
    let flush = |lines: &mut Vec<String>, open: &mut Option<(usize, usize, Vec<String>)>| {
        if let Some((first, _, refs)) = open.take() {
            if refs.len() > 1 {
                let l = &lines[first];
                let at = l.find("<<:").unwrap_or(0);
                lines[first] = format!("{}<<: [{}]", &l[..at], refs.join(", "));
            }
        }
    };
    for i in 0..lines.len() {
        let line = lines[i].clone();
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        match (merge_ref(&line), &mut open) {
            (Some((col, target)), Some((_, open_col, refs)))
                if col == *open_col && !line.trim_start().starts_with("- ") =>
            {
                refs.push(target.to_string());
                lines[i] = String::new();
            }
            (Some((col, target)), _) => {
                flush(&mut lines, &mut open);
                open = Some((i, col, vec![target.to_string()]));
            }
            (None, Some((_, open_col, _)))
                if !blank
                    && (indent < *open_col || (line.trim_start().starts_with("- ") && indent + 2 <= *open_col)) =>
            {
                flush(&mut lines, &mut open);
            }
            _ => {}
        }
    }
    flush(&mut lines, &mut open);
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Marks a mapping that had merge keys (see `merge_keys`).
const MERGED: &str = "\u{0}merged";

/// A job's `job` and `trigger`: present, and values packit knows.
fn job_kind(c: &mut Ctx, job: &Yaml, index: usize) {
    let jobs = &crate::schema::schema().jobs;
    let merged = job[MERGED].as_bool() == Some(true);
    for (field, valid) in [("job", &jobs.types), ("trigger", &jobs.triggers)] {
        let value = job[field].as_str();
        let problem = match value {
            None if merged => None,
            None => Some((
                format!("job {} has no `{field}`", index + 1),
                format!("Add `{field}:` with one of: {}.", valid.join(", ")),
            )),
            Some(v) if valid.iter().any(|x| x == v) => None,
            Some(v) => match (field, jobs.removed.get(v)) {
                ("job", Some(new)) => Some((
                    format!("job type `{v}` was removed from packit: use `{new}`"),
                    format!("Write `job: {new}`."),
                )),
                _ => Some((
                    format!("`{field}: {v}` is not a packit {field}"),
                    format!("Use one of: {}.", valid.join(", ")),
                )),
            },
        };
        if let Some((message, remedy)) = problem {
            let line = value.and_then(|v| line_of(c.text, &format!("{field}: {v}"), 1));
            let subject = c.at(line);
            c.findings.push(Finding::new(&INVALID_VALUE, subject, message).evidence("job", index + 1).remedy(remedy));
        }
    }
}

/// The dist-git branches propose_downstream / pull_from_upstream jobs update, expanded; and
/// findings for targets and branches nobody knows.
fn downstream_branches(c: &mut Ctx, jobs: &[Yaml]) -> Vec<String> {
    let mut affected = BTreeSet::new();
    for j in jobs {
        let kind = j["job"].as_str().unwrap_or_default();
        let syncs = matches!(kind, "propose_downstream" | "pull_from_upstream");
        let mut names = strings(&j["dist_git_branches"]);
        if syncs && names.is_empty() {
            names.push("rawhide".into());
        }
        let targets = strings(&j["targets"]);
        for name in names.iter().chain(targets.iter()) {
            match targets::expand(name) {
                Some(b) if syncs && names.contains(name) => affected.extend(b),
                Some(_) => {}
                None => {
                    let line = line_of(c.text, name, 1);
                    let s = c.at(line);
                    c.findings.push(
                        Finding::new(&UNKNOWN_TARGET, s, format!("`{name}` is not a packit alias or a known branch (table of {})", targets::table().as_of))
                            .evidence("job", kind)
                            .remedy("Use a packit alias (fedora-all, fedora-stable, epel-all, …) or a branch that exists in dist-git."),
                    );
                }
            }
        }
    }
    affected.into_iter().collect()
}

fn files_to_sync(c: &mut Ctx, list: &Yaml, package: &str, affected: &[String]) {
    let Some(items) = list.as_vec() else { return };
    let start = line_of(c.text, "files_to_sync", 1).unwrap_or(1);
    for item in items {
        let (src, dest, mkpath) = match item {
            Yaml::String(s) => (s.clone(), s.clone(), false),
            Yaml::Hash(_) => {
                let src = strings(&item["src"]).join(", ");
                let dest = item["dest"].as_str().map(String::from).unwrap_or_else(|| src.clone());
                (src, dest, item["mkpath"].as_bool().unwrap_or(false))
            }
            _ => continue,
        };
        let clean = dest.trim_start_matches("./").trim_end_matches('/');
        let Some((parent, _)) = clean.rsplit_once('/') else { continue };
        if mkpath || parent.is_empty() || parent == "." {
            continue;
        }
        let line = line_of(c.text, &dest, start).or_else(|| line_of(c.text, &src, start));
        let subject = c.at(line);
        let branches =
            if affected.is_empty() { "(no propose_downstream job)".to_string() } else { affected.join(", ") };
        let mut f = Finding::new(
            &FILES_TO_SYNC_MKPATH,
            subject,
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
        c.findings.push(f);
    }
}

/// The spec file and tag template a configuration names (top level, or its first package).
pub fn spec_and_template(text: &str) -> (Option<String>, String) {
    let Ok(docs) = YamlLoader::load_from_str(text) else { return (None, "{version}".into()) };
    let Some(doc) = docs.first() else { return (None, "{version}".into()) };
    let first_pkg = doc["packages"].as_hash().and_then(|h| h.values().next()).cloned().unwrap_or(Yaml::BadValue);
    let pick = |key: &str| doc[key].as_str().or_else(|| first_pkg[key].as_str()).map(String::from);
    (pick("specfile_path"), pick("upstream_tag_template").unwrap_or_else(|| "{version}".into()))
}

/// `upstream_tag_include` and `upstream_tag_exclude` (top level or the first package), and the
/// line where `upstream_tag_template` is written.
pub fn tag_filters(text: &str) -> (Option<String>, Option<String>, Option<usize>) {
    let line = line_of(text, "upstream_tag_template:", 1);
    let Ok(docs) = YamlLoader::load_from_str(text) else { return (None, None, line) };
    let Some(doc) = docs.first() else { return (None, None, line) };
    let first_pkg = doc["packages"].as_hash().and_then(|h| h.values().next()).cloned().unwrap_or(Yaml::BadValue);
    let pick = |key: &str| doc[key].as_str().or_else(|| first_pkg[key].as_str()).map(String::from);
    (pick("upstream_tag_include"), pick("upstream_tag_exclude"), line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_repeated_merge_keys_keeping_lines() {
        let text = "jobs:\n  - <<: *a\n    <<: *b\n    x: 1\n  - <<: *c\n    y: 2\n";
        assert_eq!(fold_merge_keys(text), "jobs:\n  - <<: [*a, *b]\n\n    x: 1\n  - <<: *c\n    y: 2\n");
        // Only repeats that follow each other are folded; others are left as written.
        let apart = "a:\n  <<: *x\n  b:\n    <<: *y\n  <<: *z\n";
        assert_eq!(fold_merge_keys(apart), apart);
    }

    #[test]
    fn suggests_only_near_misses() {
        assert_eq!(suggestion("upstream_tag_templte"), Some("upstream_tag_template"));
        assert_eq!(suggestion("files_to_snyc"), Some("files_to_sync"));
        assert_eq!(suggestion("specfile_path"), None);
        assert_eq!(suggestion("some_brand_new_packit_key"), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
