//! Observations × caller requirements → facts → findings.

use std::convert::Infallible;

use shipcheck_report::{Checked, Domain, Finding, Report, Rule, Settings};

use crate::data::CallerSpec;
use crate::facts::{Facts, FeaturesFact};
use crate::observe::Observation;

/// What one runtime check is given: the runtimes as observed (live, by [`crate::probe::live`],
/// or replayed, by [`crate::observe::load_all`]) and the callers to check them against.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub observations: Vec<Observation>,
    pub callers: Vec<CallerSpec>,
}

/// The runtime domain: each observed runtime against what its callers invoke and need. It
/// only reads observations: probing is done before, so checking a recording runs nothing.
pub struct Runtimes;

impl Domain for Runtimes {
    type Input = Input;
    /// Every observation can be checked: what a runtime failed to answer is a finding.
    type Error = Infallible;

    fn rules() -> &'static [&'static Rule] {
        crate::rules::ALL
    }

    fn check(input: &Input, settings: &Settings, report: &mut Report) -> Result<(), Infallible> {
        for o in &input.observations {
            let (checked, findings) = check_enabled(o, &input.callers, &|id| settings.enabled(id));
            report.checked.push(checked);
            report.findings.extend(findings);
        }
        Ok(())
    }
}

/// Checks one runtime against the callers with every rule. Returns what was checked and the
/// findings.
pub fn check(o: &Observation, callers: &[CallerSpec]) -> (Checked, Vec<Finding>) {
    check_enabled(o, callers, &|_| true)
}

/// Checks one runtime with the rules whose ID `enabled` accepts; the others are not run.
pub fn check_enabled(
    o: &Observation,
    callers: &[CallerSpec],
    enabled: &dyn Fn(&str) -> bool,
) -> (Checked, Vec<Finding>) {
    let facts = Facts::measure(o, callers);
    let mut findings = Vec::new();
    crate::rules::run(&facts, enabled, &mut findings);
    (checked(&facts), findings)
}

/// What the report says was checked: the runtime's identity, or why there is none.
fn checked(facts: &Facts) -> Checked {
    let o = facts.observation;
    let source = if o.source == "live" { "live probe" } else { "recording" };
    let mut list = vec![("source".to_string(), source.to_string())];
    let Some(id) = &facts.identity else {
        let kind = if o.version.error.is_some() { "runtime" } else { "not a runtime" };
        return Checked::new(facts.artifact.clone(), kind, list);
    };
    list.push(("implementation".into(), id.implementation.clone()));
    list.push(("version".into(), id.version.as_ref().map_or("unknown".into(), |v| v.to_string())));
    if let Some(spec) = &id.spec {
        list.push(("spec".into(), spec.clone()));
    }
    let has_features = matches!(facts.features, FeaturesFact::Parsed(_));
    list.push(("features".into(), if has_features { "yes".into() } else { "no".into() }));
    Checked::new(facts.artifact.clone(), format!("{} runtime", id.implementation), list)
}
