//! The knowledge base: built-in signatures (data/signatures/<class>.toml) plus the user's own
//! (`--rules FILE`, shipcheck.toml), compiled into one Aho-Corasick automaton over every
//! literal needle and one regex per signature.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::finder::LineFinder;
use regex::Regex;
use serde::Deserialize;

/// The root-cause classes (docs/diagnose.md#classes), each with its built-in signatures. A
/// signature's class is reported as the `class` evidence of its finding, by the rule whose file
/// lists the class in its `CLASSES` (src/rules/), unless the signature names a rule of its own.
pub const CLASSES: &[&str] = &[
    "credential-expiry",
    "auth",
    "rate-limit",
    "network",
    "platform-emulation",
    "runtime-cli",
    "resources",
    "packaging",
    "build-step",
    "image-format",
    "image-store",
    "registry-protocol",
];

/// The built-in signature files, one per class, in [`CLASSES`] order.
const BUILTIN: &[(&str, &str)] = &[
    ("credential-expiry", include_str!("../data/signatures/credential-expiry.toml")),
    ("auth", include_str!("../data/signatures/auth.toml")),
    ("rate-limit", include_str!("../data/signatures/rate-limit.toml")),
    ("network", include_str!("../data/signatures/network.toml")),
    ("platform-emulation", include_str!("../data/signatures/platform-emulation.toml")),
    ("runtime-cli", include_str!("../data/signatures/runtime-cli.toml")),
    ("resources", include_str!("../data/signatures/resources.toml")),
    ("packaging", include_str!("../data/signatures/packaging.toml")),
    ("build-step", include_str!("../data/signatures/build-step.toml")),
    ("image-format", include_str!("../data/signatures/image-format.toml")),
    ("image-store", include_str!("../data/signatures/image-store.toml")),
    ("registry-protocol", include_str!("../data/signatures/registry-protocol.toml")),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureDef {
    pub id: String,
    pub class: String,
    /// The rule that reports this signature when it is not its class's rule (a signed-URL
    /// expiry is class credential-expiry, reported by `ci/signed-url-expired`).
    #[serde(default)]
    pub rule: Option<String>,
    pub needles: Vec<String>,
    pub pattern: String,
    pub priority: u8,
    pub title: String,
    pub remedy: Option<String>,
    pub source: String,
    pub examples: Vec<String>,
    #[serde(default)]
    pub negatives: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    id: String,
    priority: u8,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    signature: Vec<SignatureDef>,
    #[serde(default, rename = "override")]
    overrides: Vec<Override>,
}

/// Lines worth noting even when nothing failed on them: they date when credentials were
/// issued and how long the build ran (see facts.rs).
pub const MILESTONES: &[(&str, &str)] = &[
    ("Login Succeeded", "login"),
    ("importing cache manifest from", "cache-import"),
    ("preparing build cache for export", "cache-export"),
    ("exporting cache", "cache-export"),
    ("pushing layers", "push"),
    ("pushing manifest for", "push"),
    ("exporting to image", "export"),
    // Lines that name what was being pushed or pulled, and for which platform.
    ("failed to push ", "reference"),
    ("failed to pull ", "reference"),
    ("failed to resolve source metadata for ", "reference"),
    ("load metadata for ", "metadata"),
    // A push: where it starts, and what shows it was under way.
    ("the push refers to", "push-start"),
    // A layer uploaded needs push access: the credential was good then.
    (": pushed", "push-done"),
    // An upload of gigabytes takes longer than many registry tokens live (kept only then).
    (": pushing [", "push-large"),
    // An image put into the local store under a name (context.rs: image-store).
    ("successfully tagged ", "local-image"),
    ("naming to ", "local-image"),
    ("loaded image", "local-image"),
    // podman resolving a short name by trying each search registry in turn.
    ("trying to pull ", "registry-search"),
    // Emulation set up, or a platform other than the runner's asked for.
    ("qemu", "qemu"),
    ("binfmt", "qemu"),
    ("--platform", "platform"),
    ("detected host platform", "platform"),
];

/// Lines that say a step or the job failed, whatever the cause: the structural fallback
/// (failure.rs) reports the last of them when no signature matched. (kind, needle)
pub const FAILURE_MARKERS: &[(&str, &str)] = &[
    ("build-step", "did not complete successfully"),
    ("build-step", "returned a non-zero code"),
    ("build", "failed to solve"),
    ("build", "failed to build"),
    ("job", "process completed with exit code"),
    ("job", "job failed"),
    ("job", "error response from daemon"),
    ("traceback", "traceback (most recent call last)"),
    ("panic", "panic: "),
    ("rpmbuild", "bad exit status"),
    ("make", "make: ***"),
    ("exit", "exited with code"),
    ("exit", "exit status "),
    ("exit", "exit code: "),
];

/// CI structure markers.
pub const MARKERS: &[&str] = &["##[group]", "##[endgroup]", "##[error]", "section_start:", "retrying", "will retry"];

/// Why the knowledge base could not be loaded; each names the file or signature at fault.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("built-in signatures of class {class}: {error}")]
    Builtin { class: &'static str, error: toml::de::Error },
    #[error("signature `{id}` is in the file of class {file} but says class `{class}`")]
    BuiltinMisfiled { id: String, file: &'static str, class: String },
    #[error("{path} is not a valid rules file: {error}")]
    InvalidFile { path: String, error: toml::de::Error },
    #[error("{path}: [[override]] names unknown signature `{id}`")]
    UnknownOverride { path: String, id: String },
    #[error("signature `{id}`: unknown class `{class}`: expected one of {}", CLASSES.join(", "))]
    UnknownClass { id: String, class: String },
    #[error("signature `{id}`: unknown rule `{rule}`: expected a ci/ rule of `shipcheck rules`")]
    UnknownRule { id: String, rule: String },
    #[error("signature `{id}` has no needles: give at least one literal string the line must contain")]
    NoNeedles { id: String },
    #[error("signature `{id}`: invalid pattern: {error}")]
    InvalidPattern { id: String, error: regex::Error },
    #[error("cannot build the needle automaton: {0}")]
    Automaton(aho_corasick::BuildError),
}

pub struct Signature {
    pub def: SignatureDef,
    /// Compiled on first use: most runs try only a few signatures, and compiling all of them
    /// would cost every run tens of milliseconds. A user's patterns are compiled at load, so a
    /// bad one is an error there; the built-in ones are compiled by the tests.
    regex: OnceLock<Regex>,
}

impl Signature {
    pub fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // Unreachable for a pattern checked at load or by the tests; a pattern that does
            // not compile matches nothing rather than failing a run.
            Regex::new(&self.def.pattern)
                .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("a regex that matches nothing"))
        })
    }
}

pub struct Kb {
    pub signatures: Vec<Signature>,
    /// Case-insensitive automaton over every needle, run on the few lines that hold one.
    pub automaton: AhoCorasick,
    /// The line finder over lowercased raw bytes: the hot loop (finder.rs, docs/diagnose.md).
    pub finder: LineFinder,
    /// For each automaton pattern: what it stands for.
    pub owners: Vec<Owner>,
}

#[derive(Clone, Debug)]
pub enum Owner {
    Signatures(Vec<usize>),
    Milestone(&'static str),
    Failure(&'static str),
    Marker,
}

impl Kb {
    /// The built-in knowledge base plus `extra` rule files (path, text), in order: a signature
    /// with an existing ID replaces it; `[[override]]` changes a priority.
    pub fn load(extra: &[(String, String)]) -> Result<Kb, KbError> {
        let mut defs = Vec::new();
        for &(class, text) in BUILTIN {
            let f: RulesFile = toml::from_str(text).map_err(|error| KbError::Builtin { class, error })?;
            if let Some(d) = f.signature.iter().find(|d| d.class != class) {
                return Err(KbError::BuiltinMisfiled { id: d.id.clone(), file: class, class: d.class.clone() });
            }
            defs.extend(f.signature);
        }
        for (path, text) in extra {
            let f: RulesFile =
                toml::from_str(text).map_err(|error| KbError::InvalidFile { path: path.clone(), error })?;
            for s in &f.signature {
                Regex::new(&s.pattern).map_err(|error| KbError::InvalidPattern { id: s.id.clone(), error })?;
            }
            for s in f.signature {
                match defs.iter_mut().find(|d| d.id == s.id) {
                    Some(d) => *d = s,
                    None => defs.push(s),
                }
            }
            for o in f.overrides {
                let d = defs
                    .iter_mut()
                    .find(|d| d.id == o.id)
                    .ok_or_else(|| KbError::UnknownOverride { path: path.clone(), id: o.id.clone() })?;
                d.priority = o.priority;
            }
        }
        Kb::compile(defs)
    }

    fn compile(defs: Vec<SignatureDef>) -> Result<Kb, KbError> {
        let mut signatures = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Owner> = Vec::new();
        for (i, d) in defs.into_iter().enumerate() {
            if !CLASSES.contains(&d.class.as_str()) {
                return Err(KbError::UnknownClass { id: d.id, class: d.class });
            }
            if let Some(rule) = d.rule.as_deref() {
                if !crate::check::COVERS.iter().any(|(r, _)| r.id == rule) {
                    return Err(KbError::UnknownRule { id: d.id, rule: rule.to_string() });
                }
            }
            if d.needles.iter().all(|n| n.trim().is_empty()) {
                return Err(KbError::NoNeedles { id: d.id });
            }

            for n in d.needles.iter().filter(|n| !n.is_empty()) {
                match patterns.iter().position(|p| p.eq_ignore_ascii_case(n)) {
                    Some(k) => {
                        if let Owner::Signatures(v) = &mut owners[k] {
                            v.push(i);
                        }
                    }
                    None => {
                        patterns.push(n.clone());
                        owners.push(Owner::Signatures(vec![i]));
                    }
                }
            }
            signatures.push(Signature { def: d, regex: OnceLock::new() });
        }
        for (needle, kind) in MILESTONES {
            patterns.push(needle.to_string());
            owners.push(Owner::Milestone(kind));
        }
        for (kind, needle) in FAILURE_MARKERS {
            patterns.push(needle.to_string());
            owners.push(Owner::Failure(kind));
        }
        for m in MARKERS {
            patterns.push(m.to_string());
            owners.push(Owner::Marker);
        }
        let lowered: Vec<String> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
        let finder = LineFinder::new(&lowered).map_err(KbError::Automaton)?;
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            // Run on the few lines that hold a needle, and on the log's tail: a contiguous NFA
            // builds in a fraction of a DFA's time, which every run pays at start-up.
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(KbError::Automaton)?;
        Ok(Kb { signatures, automaton, finder, owners })
    }
}
