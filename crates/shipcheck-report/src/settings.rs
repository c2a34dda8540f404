//! What one input was configured with: the severity that fails it, and per-rule levels. One
//! `Settings` belongs to one input (a directory's shipcheck.toml, or the command line), so in
//! `shipcheck check A B` A's `[rules]` and `fail-on` judge A's findings only. Later keys
//! (selection flags, ignores, baselines, size limits) are added here, not as new paths.

use std::collections::BTreeMap;

use crate::{Finding, Rule, Severity};

/// A rule's configured level: off (not run at all), or a severity replacing its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    At(Severity),
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("[rules] names unknown rule `{id}`: {hint}")]
    UnknownRule { id: String, hint: String },
    #[error("[rules] `{id}`: {level}, or off")]
    BadLevel { id: String, level: crate::UnknownSeverity },
    #[error("fail-on: {0}")]
    BadFailOn(crate::UnknownSeverity),
    #[error("--{flag} `{pattern}` matches no rule: {hint}")]
    UnknownPattern { flag: &'static str, pattern: String, hint: String },
}

/// The settings of one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The lowest severity that fails the input.
    pub fail_on: Severity,
    /// Levels by rule ID; a rule not listed keeps its default severity.
    pub levels: BTreeMap<String, Level>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { fail_on: Severity::Error, levels: BTreeMap::new() }
    }
}

impl Settings {
    /// Settings from configuration text: `fail-on` and `[rules]` entries (`"off"` or a severity),
    /// each rule ID checked against `known`.
    pub fn from_config<'a>(
        fail_on: Option<&str>,
        rules: impl IntoIterator<Item = (&'a str, &'a str)>,
        known: &[&'static Rule],
    ) -> Result<Settings, SettingsError> {
        let mut s = Settings::default();
        if let Some(f) = fail_on {
            s.fail_on = f.parse().map_err(SettingsError::BadFailOn)?;
        }
        for (id, level) in rules {
            if !known.iter().any(|r| r.id == id) {
                let hint = match near(id, known) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "run `shipcheck explain` for the list".to_string(),
                };
                return Err(SettingsError::UnknownRule { id: id.to_string(), hint });
            }
            let level = if level == "off" {
                Level::Off
            } else {
                Level::At(level.parse().map_err(|level| SettingsError::BadLevel { id: id.to_string(), level })?)
            };
            s.levels.insert(id.to_string(), level);
        }
        Ok(s)
    }

    /// Turns off every rule that `select` does not match (when it names any) and every rule
    /// that `ignore` matches, as ruff's `--select`/`--ignore` do. A pattern is a rule ID
    /// (`workflow/platform-drift`) or an area (`workflow`, `workflow/`); one that matches no
    /// rule in `known` is an error that says what was meant.
    pub fn restrict(
        &mut self,
        select: &[String],
        ignore: &[String],
        known: &[&'static Rule],
    ) -> Result<(), SettingsError> {
        let matching = |flag: &'static str, pattern: &str| -> Result<Vec<&'static str>, SettingsError> {
            let area = pattern.trim_end_matches('/');
            let hits: Vec<&'static str> = known
                .iter()
                .map(|r| r.id)
                .filter(|id| *id == pattern || id.split('/').next() == Some(area) && !area.contains('/'))
                .collect();
            if hits.is_empty() {
                let hint = match near(pattern, known) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "run `shipcheck explain` for the list".to_string(),
                };
                return Err(SettingsError::UnknownPattern { flag, pattern: pattern.to_string(), hint });
            }
            Ok(hits)
        };
        if !select.is_empty() {
            let mut selected = Vec::new();
            for p in select {
                selected.extend(matching("select", p)?);
            }
            for r in known.iter().filter(|r| !selected.contains(&r.id)) {
                self.levels.insert(r.id.to_string(), Level::Off);
            }
        }
        for p in ignore {
            for id in matching("ignore", p)? {
                self.levels.insert(id.to_string(), Level::Off);
            }
        }
        Ok(())
    }

    /// Whether the rule runs at all.
    pub fn enabled(&self, id: &str) -> bool {
        self.levels.get(id) != Some(&Level::Off)
    }

    /// Drops findings of rules that are off (a check that cannot skip a rule still reports none)
    /// and gives the others their configured severity.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| self.enabled(f.rule.id));
        for f in findings.iter_mut() {
            if let Some(Level::At(severity)) = self.levels.get(f.rule.id) {
                f.severity = *severity;
            }
        }
    }

    /// Whether any finding fails the input.
    pub fn fails(&self, findings: &[Finding]) -> bool {
        findings.iter().any(|f| f.severity >= self.fail_on)
    }
}

/// The nearest known rule ID, for an unknown one: a typo in the whole ID, or the right name in
/// another area.
fn near(id: &str, known: &[&'static Rule]) -> Option<&'static str> {
    let name = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    shipcheck_core::suggest::did_you_mean(id, known.iter().map(|r| r.id))
        .or_else(|| known.iter().find(|r| name(r.id) == name(id)).map(|r| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Subject;

    crate::declare_rule! {
        /// Test rule.
        A = ("test/alpha", Warning, "a");
    }
    crate::declare_rule! {
        /// Test rule.
        B = ("test/beta", Error, "b");
    }

    #[test]
    fn levels_apply_and_off_rules_do_not_run() {
        let known = [&A, &B];
        let s = Settings::from_config(Some("warning"), [("test/alpha", "off"), ("test/beta", "note")], &known).unwrap();
        assert!(!s.enabled("test/alpha") && s.enabled("test/beta"));
        let mut f = vec![Finding::new(&A, Subject::whole("x"), "a"), Finding::new(&B, Subject::whole("x"), "b")];
        s.apply(&mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Note);
        assert!(!s.fails(&f), "a note does not fail at warning");
    }

    #[test]
    fn select_and_ignore_turn_rules_off() {
        let known = [&A, &B];
        let mut s = Settings::default();
        s.restrict(&["test/alpha".into()], &[], &known).unwrap();
        assert!(s.enabled("test/alpha") && !s.enabled("test/beta"));
        let mut s = Settings::default();
        s.restrict(&["test".into()], &["test/beta".into()], &known).unwrap();
        assert!(s.enabled("test/alpha") && !s.enabled("test/beta"));
        let err = Settings::default().restrict(&[], &["test/alpah".into()], &known).unwrap_err();
        assert!(err.to_string().contains("--ignore `test/alpah` matches no rule: did you mean `test/alpha`?"), "{err}");
        assert!(Settings::default().restrict(&["tes".into()], &[], &known).is_err());
    }

    #[test]
    fn bad_settings_are_errors_that_say_what_was_meant() {
        let known = [&A, &B];
        let err = Settings::from_config(None, [("test/alpah", "off")], &known).unwrap_err();
        assert!(err.to_string().contains("did you mean `test/alpha`?"), "{err}");
        let err = Settings::from_config(None, [("other/beta", "off")], &known).unwrap_err();
        assert!(err.to_string().contains("did you mean `test/beta`?"), "{err}");
        assert!(Settings::from_config(None, [("test/beta", "fatal")], &known).is_err());
        assert!(Settings::from_config(Some("loud"), [], &known).is_err());
    }
}
