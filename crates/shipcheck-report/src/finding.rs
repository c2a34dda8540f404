use serde::Serialize;

use crate::{Rule, Severity};

/// What a finding is about: an artifact (a file, directory or remote reference, as the user
/// named it) and where inside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Subject {
    /// The path or reference as given on the command line or in shipcheck.toml.
    pub artifact: String,
    #[serde(flatten)]
    pub locator: Locator,
}

/// A place inside an artifact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Locator {
    /// The artifact as a whole.
    Whole,
    /// A line (1-based) and optional column (1-based) in a text file.
    Position { line: u32, column: Option<u32> },
    /// A member of an archive or directory, by its path inside it.
    Entry { path: String },
    /// A content-addressed descriptor (manifest, config, layer, blob).
    Descriptor { digest: String },
    /// A platform (`os/arch[/variant]`) of a multi-platform image.
    Platform { platform: String },
}

impl Subject {
    pub fn whole(artifact: impl Into<String>) -> Self {
        Subject { artifact: artifact.into(), locator: Locator::Whole }
    }
    pub fn entry(artifact: impl Into<String>, path: impl Into<String>) -> Self {
        Subject { artifact: artifact.into(), locator: Locator::Entry { path: path.into() } }
    }
    pub fn descriptor(artifact: impl Into<String>, digest: impl Into<String>) -> Self {
        Subject { artifact: artifact.into(), locator: Locator::Descriptor { digest: digest.into() } }
    }
    pub fn platform(artifact: impl Into<String>, platform: impl Into<String>) -> Self {
        Subject { artifact: artifact.into(), locator: Locator::Platform { platform: platform.into() } }
    }
    pub fn position(artifact: impl Into<String>, line: u32, column: Option<u32>) -> Self {
        Subject { artifact: artifact.into(), locator: Locator::Position { line, column } }
    }

    /// A short human label for the place inside the artifact, if there is one.
    pub fn place(&self) -> Option<String> {
        match &self.locator {
            Locator::Whole => None,
            Locator::Position { line, column: Some(c) } => Some(format!("{line}:{c}")),
            Locator::Position { line, column: None } => Some(line.to_string()),
            Locator::Entry { path } => Some(path.clone()),
            Locator::Descriptor { digest } => Some(digest.clone()),
            Locator::Platform { platform } => Some(platform.clone()),
        }
    }
}

/// One problem found by one rule, with the evidence for it and the fix.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static Rule,
    /// Starts as the rule's default; configuration may change it.
    pub severity: Severity,
    pub subject: Subject,
    pub message: String,
    /// Facts that support the finding, in the order they were added.
    pub evidence: Vec<(String, String)>,
    pub remedy: String,
}

impl Finding {
    pub fn new(rule: &'static Rule, subject: Subject, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            subject,
            message: message.into(),
            evidence: Vec::new(),
            remedy: String::new(),
        }
    }

    /// Adds a fact. Values are single-line; callers must not pass secrets.
    pub fn evidence(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.evidence.push((key.into(), value.to_string()));
        self
    }

    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = remedy.into();
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
