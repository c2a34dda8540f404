//! The embedded knowledge: what callers invoke (data/callers.toml) and what runtime versions
//! provide (data/runtimes.toml). Both are reviewed like code; every entry has a source.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::version::Version;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invocation {
    pub caller: String,
    pub since: String,
    pub args: Vec<String>,
    pub why: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureNeed {
    pub caller: String,
    pub since: String,
    pub path: String,
    pub why: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
struct CallersFile {
    invocation: Vec<Invocation>,
    feature: Vec<FeatureNeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagSince {
    pub runtime: String,
    pub args: Vec<String>,
    pub since: String,
    pub source: String,
}

/// A command line a runtime treats specially: never accepts (`rejected`) or accepts and
/// ignores (`ignored`), and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagNote {
    pub runtime: String,
    pub args: Vec<String>,
    pub why: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provides {
    pub runtime: String,
    pub path: String,
    pub since: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
struct RuntimesFile {
    flag: Vec<FlagSince>,
    rejected: Vec<FlagNote>,
    ignored: Vec<FlagNote>,
    provides: Vec<Provides>,
}

pub struct Data {
    pub invocations: Vec<Invocation>,
    pub features: Vec<FeatureNeed>,
    pub flags: Vec<FlagSince>,
    pub rejected: Vec<FlagNote>,
    pub ignored: Vec<FlagNote>,
    pub provides: Vec<Provides>,
}

/// The embedded data, parsed once. A parse error is a build defect caught by the tests.
pub fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let c: CallersFile = toml::from_str(include_str!("../data/callers.toml")).expect("data/callers.toml is valid");
        let r: RuntimesFile =
            toml::from_str(include_str!("../data/runtimes.toml")).expect("data/runtimes.toml is valid");
        Data {
            invocations: c.invocation,
            features: c.feature,
            flags: r.flag,
            rejected: r.rejected,
            ignored: r.ignored,
            provides: r.provides,
        }
    })
}

/// A caller at a version, as `--for` names it: `buildkit@0.12`, `conmon` (latest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerSpec {
    pub name: String,
    pub version: Version,
}

pub fn callers() -> Vec<String> {
    let mut names: Vec<String> = data()
        .invocations
        .iter()
        .map(|i| i.caller.clone())
        .chain(data().features.iter().map(|f| f.caller.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Why a caller named with `--for` (or `[runtime] callers`) is not one the data knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    /// `known` is the list of callers, comma-separated.
    #[error("unknown caller `{spec}`: expected one of {known} (optionally @VERSION)")]
    Unknown { spec: String, known: String },
    #[error("`{spec}`: `{version}` is not a version")]
    Version { spec: String, version: String },
}

impl CallerSpec {
    pub fn parse(s: &str) -> Result<CallerSpec, CallerError> {
        let (name, version) = match s.trim().split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (s.trim(), None),
        };
        let name = name.to_ascii_lowercase().replace("crio", "cri-o");
        let name = if name == "moby" { "docker".to_string() } else { name };
        if !callers().contains(&name) {
            return Err(CallerError::Unknown { spec: s.to_string(), known: callers().join(", ") });
        }
        let version = match version {
            None => Version::latest(),
            Some(v) => {
                Version::parse(v).ok_or_else(|| CallerError::Version { spec: s.to_string(), version: v.to_string() })?
            }
        };
        Ok(CallerSpec { name, version })
    }

    /// The callers `names` asks for; every caller the data knows, at its latest version, when
    /// `names` is empty.
    pub fn parse_all(names: &[String]) -> Result<Vec<CallerSpec>, CallerError> {
        if names.is_empty() {
            callers().iter().map(|c| CallerSpec::parse(c)).collect()
        } else {
            names.iter().map(|c| CallerSpec::parse(c)).collect()
        }
    }

    /// How people write the caller's name.
    pub fn display(name: &str) -> &str {
        match name {
            "buildkit" => "BuildKit",
            "docker" => "Docker",
            "podman" => "Podman",
            "cri-o" => "CRI-O",
            other => other,
        }
    }
}

/// The flag probes: every invocation's arguments followed by `--help`, and a control probe
/// with a flag no runtime has (a runtime whose `--help` accepts anything proves nothing).
pub fn probe_lines() -> Vec<Vec<String>> {
    let mut lines: Vec<Vec<String>> = data().invocations.iter().map(|i| probe_args(&i.args)).collect();
    lines.push(probe_args(&["run".into(), CONTROL_FLAG.into()]));
    lines.sort();
    lines.dedup();
    lines
}

pub const CONTROL_FLAG: &str = "--bogus-flag";

pub fn probe_args(args: &[String]) -> Vec<String> {
    let mut a = args.to_vec();
    if a.last().map(String::as_str) != Some("--help") {
        a.push("--help".into());
    }
    a
}

/// docs/runtimes.md: the capability matrix, generated from the data files. A test fails when
/// the committed file differs.
pub fn matrix_markdown() -> String {
    let d = data();
    let mut out = String::from(
        "# Runtime capability matrix\n\n<!-- Generated by `shipcheck runtimes-doc` from crates/shipcheck-runtime/data/*.toml. Do not edit. -->\n\n",
    );
    out.push_str("`shipcheck runtime --for CALLER@VERSION` checks each runtime against the rows of the first two\ntables whose caller version is at least `since`; the other tables say which runtime versions\nprovide what. Entries marked *observed* rest on real captures of those versions\n(`../shared/corpus/runtimes`).\n\n");
    out.push_str("## What callers invoke\n\nProbed as `<runtime> <args…> --help`, which exits 0 only when every flag is accepted.\n\n| caller | since | command line | when | source |\n|---|---|---|---|---|\n");
    for i in &d.invocations {
        out.push_str(&format!(
            "| {} | {} | `{}` | {} | {} |\n",
            CallerSpec::display(&i.caller),
            i.since,
            i.args.join(" "),
            i.why,
            i.source
        ));
    }
    out.push_str(
        "\n## What callers need from `features`\n\n| caller | since | field | for | source |\n|---|---|---|---|---|\n",
    );
    for f in &d.features {
        out.push_str(&format!(
            "| {} | {} | `{}` | {} | {} |\n",
            CallerSpec::display(&f.caller),
            f.since,
            f.path,
            f.why,
            f.source
        ));
    }
    out.push_str("\n## Flags: first runtime version that accepts them\n\n| runtime | command line | since | source |\n|---|---|---|---|\n");
    for f in &d.flags {
        out.push_str(&format!("| {} | `{}` | {} | {} |\n", f.runtime, f.args.join(" "), f.since, f.source));
    }
    for r in &d.rejected {
        out.push_str(&format!("| {} | `{}` | never: {} | {} |\n", r.runtime, r.args.join(" "), r.why, r.source));
    }
    out.push_str("\n## Flags accepted but ignored\n\nNo probe can see these; they are reported as `runtime/ignored-flag`.\n\n| runtime | command line | what happens | source |\n|---|---|---|---|\n");
    for g in &d.ignored {
        out.push_str(&format!("| {} | `{}` | {} | {} |\n", g.runtime, g.args.join(" "), g.why, g.source));
    }
    out.push_str("\n## Features: first runtime version that reports them\n\n| runtime | field | since | source |\n|---|---|---|---|\n");
    for p in &d.provides {
        out.push_str(&format!("| {} | `{}` | {} | {} |\n", p.runtime, p.path, p.since, p.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_parses_and_every_entry_has_a_source() {
        let d = data();
        assert!(d.invocations.len() >= 5 && d.features.len() >= 3);
        let sources = d
            .invocations
            .iter()
            .map(|i| &i.source)
            .chain(d.features.iter().map(|f| &f.source))
            .chain(d.flags.iter().map(|f| &f.source))
            .chain(d.rejected.iter().map(|f| &f.source))
            .chain(d.ignored.iter().map(|f| &f.source))
            .chain(d.provides.iter().map(|f| &f.source));
        for s in sources {
            assert!(s.starts_with("https://") || s.starts_with("observed: "), "bad source {s:?}");
        }
        for v in d.invocations.iter().map(|i| &i.since).chain(d.features.iter().map(|f| &f.since)) {
            assert!(Version::parse(v).is_some(), "bad version {v}");
        }
    }

    #[test]
    fn caller_specs() {
        assert_eq!(CallerSpec::parse("buildkit@0.12").unwrap().version.parts, vec![0, 12]);
        assert!(CallerSpec::parse("conmon").unwrap().version.is_latest());
        assert_eq!(CallerSpec::parse("crio@1.29").unwrap().name, "cri-o");
        assert!(CallerSpec::parse("kubelet").unwrap_err().to_string().contains("expected one of"));
        assert_eq!(CallerSpec::parse_all(&[]).unwrap().len(), callers().len());
        assert_eq!(CallerSpec::parse_all(&["moby@24".into()]).unwrap()[0].name, "docker");
        assert!(CallerSpec::parse("buildkit@x").is_err());
    }
}
