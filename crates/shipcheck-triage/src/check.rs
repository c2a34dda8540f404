//! Log → facts → findings, and the [`Logs`] domain the binary calls: read the rule files, load
//! the knowledge base, expand each log argument and diagnose each file with the rules that are on.

use std::path::{Path, PathBuf};

use shipcheck_report::{Domain, Finding, InputError, Report, Rule, Settings};

use crate::facts::Facts;
use crate::input;
use crate::kb::{Kb, KbError, SignatureDef};
use crate::scan::Scanned;

mod covers {
    include!(concat!(env!("OUT_DIR"), "/classes.rs"));
}

/// Each rule and the signature classes it reports (every rule file's `CLASSES`).
pub(crate) use covers::COVERS;

/// CI log diagnosis as a [`Domain`].
pub struct Logs;

/// What one `shipcheck diagnose` call reads.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Log files, directories of log files (read in name order), or `-` for stdin.
    pub logs: Vec<String>,
    /// The user's rule files (signatures and overrides), applied in order.
    pub rules: Vec<PathBuf>,
}

/// Why no log could be diagnosed: the knowledge base cannot be built. A log that cannot be read
/// is an error of that log only, in [`Report::errors`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read rules file {path}")]
    RulesFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Kb(#[from] KbError),
}

impl Domain for Logs {
    type Input = Input;
    type Error = Error;

    fn rules() -> &'static [&'static Rule] {
        crate::rules::ALL
    }

    fn check(input: &Input, settings: &Settings, report: &mut Report) -> Result<(), Error> {
        let mut extra = Vec::new();
        for r in &input.rules {
            let path = r.display().to_string();
            match std::fs::read_to_string(r) {
                Ok(text) => extra.push((path, text)),
                Err(source) => return Err(Error::RulesFile { path, source }),
            }
        }
        let kb = Kb::load(&extra)?;
        let enabled = |id: &str| settings.enabled(id);
        for log in &input.logs {
            let files = if log == "-" {
                vec!["-".to_string()]
            } else {
                match input::expand(Path::new(log)) {
                    Ok(f) => f.into_iter().map(|p| p.display().to_string()).collect(),
                    Err(e) => {
                        report.errors.push(InputError { input: log.clone(), message: e.to_string() });
                        continue;
                    }
                }
            };
            for file in files {
                match input::diagnose_path_enabled(&kb, &file, &enabled) {
                    Ok((checked, findings)) => {
                        report.checked.push(checked);
                        report.findings.extend(findings);
                    }
                    Err(e) => report.errors.push(InputError { input: file, message: e.to_string() }),
                }
            }
        }
        Ok(())
    }
}

/// Findings for one scanned log, root cause first, from the rules whose ID `enabled` accepts.
/// A class whose rule is off is left out before ranking: it is neither reported nor allowed to
/// push the causes of the rules that are on down to "also seen".
pub fn findings(kb: &Kb, artifact: &str, scanned: &Scanned, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let sig_on = |def: &SignatureDef| enabled(rule_of(def));
    let facts = Facts::measure(kb, artifact, scanned, &sig_on);
    let mut out = Vec::new();
    crate::rules::run(&facts, enabled, &mut out);
    // Rules run in file-name order; the report lists causes in rank order.
    out.sort_by_key(|f| facts.rank_of(f));
    out
}

/// The ID of the rule that reports a signature: the one it names, else its class's.
pub(crate) fn rule_of(def: &SignatureDef) -> &str {
    match &def.rule {
        Some(r) => r,
        None => COVERS.iter().find(|(_, classes)| classes.contains(&def.class.as_str())).map_or("", |(r, _)| r.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_reported_by_exactly_one_rule() {
        for class in crate::kb::CLASSES {
            let rules: Vec<&str> =
                COVERS.iter().filter(|(_, classes)| classes.contains(class)).map(|(r, _)| r.id).collect();
            assert_eq!(rules.len(), 1, "class {class} is reported by {rules:?}");
        }
        for (rule, classes) in COVERS {
            assert!(
                classes.iter().all(|c| crate::kb::CLASSES.contains(c)),
                "{}: unknown class in {classes:?}",
                rule.id
            );
        }
        assert_eq!(COVERS.len(), crate::rules::ALL.len());
    }
}
