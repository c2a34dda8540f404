//! `package/invalid-value`.

use shipcheck_core::yaml::Node;
use shipcheck_report::{declare_rule, Finding};

use crate::facts::{deprecated, push_unique, ConfigFacts, Facts};
use crate::schema::string;

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml value of the wrong type (a string where packit wants a list, a list where
    /// it wants a string, `"7200"` for a number, `maybe` for a boolean), a job without `job` or
    /// `trigger`, an unknown job type or trigger, or a job type packit removed (`build`,
    /// `production_build`). Types come from packit's schema (crates/shipcheck-package/data/packit-schema.toml).
    ///
    /// ## Why it breaks releases
    /// packit refuses the whole configuration (`Invalid package config`), so no job runs: no
    /// propose-downstream, no builds, no tests.
    ///
    /// ## Fix
    /// Write the value with the type given; for removed job types use the replacement named.
    ///
    /// ## Example
    /// `paths: ./` (a string) instead of `paths: [./]`; `job: build` instead of `job: copr_build`.
    pub RULE = ("package/invalid-value", Error, "a packit value of the wrong type or an unknown job");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(c) = &facts.config else { return };
    let mut found = Vec::new();
    for (map, in_job) in c.value_maps() {
        values(c, map, in_job, &mut found);
    }
    for (i, j) in c.jobs().iter().enumerate() {
        job_kind(c, j, i, &mut found);
    }
    push_unique(found, out);
}

/// Type-checks the known keys of one mapping, located at the value. Deprecated keys are
/// package/deprecated-key's.
fn values(c: &ConfigFacts, map: &Node, in_job: bool, out: &mut Vec<Finding>) {
    let schema = crate::schema::schema();
    for (k, v) in map.entries() {
        let Some(key) = k.str() else { continue };
        if deprecated(key, in_job).is_some() {
            continue;
        }
        let Some(ty) = schema.keys.get(key) else { continue };
        // A job selects packages by name (a list) or with per-package settings (a mapping).
        let ty = if in_job && key == "packages" { "job-packages" } else { ty.as_str() };
        if !crate::schema::fits(ty, v) {
            let expected = crate::schema::expected(ty);
            out.push(
                Finding::new(&RULE, c.at(v), format!("`{key}` must be {expected}, not {}", crate::schema::describe(v)))
                    .evidence("key", key)
                    .remedy(format!("Write `{key}` as {expected}; packit rejects the whole configuration otherwise.")),
            );
        }
    }
}

/// A job's `job` and `trigger`: present, and values packit knows. Located at the value, or at
/// the job when the key is missing.
fn job_kind(c: &ConfigFacts, job: &Node, index: usize, out: &mut Vec<Finding>) {
    let jobs = &crate::schema::schema().jobs;
    for (field, valid) in [("job", &jobs.types), ("trigger", &jobs.triggers)] {
        let node = job.get(field);
        let value = node.and_then(string);
        let problem = match value {
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
            let subject = c.at(node.filter(|_| value.is_some()).unwrap_or(job));
            out.push(Finding::new(&RULE, subject, message).evidence("job", index + 1).remedy(remedy));
        }
    }
}
