use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the release is not at risk.
    Note,
    /// The release may fail, or behave differently than intended.
    Warning,
    /// The release will fail.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A severity name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}`: expected error, warning or note")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, UnknownSeverity> {
        match s.to_ascii_lowercase().as_str() {
            "note" => Ok(Severity::Note),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(UnknownSeverity(other.to_string())),
        }
    }
}

/// A rule: a stable ID, a default severity, a one-line summary and the user documentation.
///
/// Declare rules with [`declare_rule!`] so that the doc comment *is* the documentation
/// (`shipcheck explain` and `docs/rules.md` print it).
#[derive(Debug)]
pub struct Rule {
    /// `area/kebab-name`, stable across releases.
    pub id: &'static str,
    pub severity: Severity,
    /// One line, no trailing period.
    pub summary: &'static str,
    /// Markdown: what it catches, why it breaks releases, how to fix it, an example.
    pub doc: &'static str,
}

impl Rule {
    /// The rule's area, the part of the ID before the slash.
    pub fn area(&self) -> &'static str {
        self.id.split_once('/').map_or(self.id, |(area, _)| area)
    }
}

/// Declares a `pub static` [`Rule`] whose documentation is the doc comment above it.
///
/// ```
/// shipcheck_report::declare_rule! {
///     /// ## What it catches
///     /// Something bad.
///     pub EXAMPLE = ("demo/example", Error, "something bad happened");
/// }
/// assert_eq!(EXAMPLE.id, "demo/example");
/// assert!(EXAMPLE.doc.contains("Something bad."));
/// ```
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:expr])* $vis:vis $name:ident = ($id:expr, $sev:ident, $summary:expr);) => {
        $(#[doc = $doc])*
        $vis static $name: $crate::Rule = $crate::Rule {
            id: $id,
            severity: $crate::Severity::$sev,
            summary: $summary,
            doc: concat!($($doc, "\n"),*),
        };
    };
}

/// Strips the single leading space that `///` comments leave on every line.
pub fn doc_text(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    for line in doc.lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out.trim().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Note < Severity::Warning && Severity::Warning < Severity::Error);
        assert_eq!("WARN".parse::<Severity>().unwrap(), Severity::Warning);
        assert!("fatal".parse::<Severity>().unwrap_err().to_string().contains("expected error"));
    }

    #[test]
    fn doc_text_strips_comment_indent() {
        assert_eq!(doc_text(" # Title\n body\n"), "# Title\nbody\n");
    }
}
