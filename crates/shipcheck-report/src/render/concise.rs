//! One line per finding, `path:line:col: severity rule message`, for editors and problem
//! matchers. The line and column are there when the finding has them (`path:line:` without a
//! column, `path:` for a whole artifact, whose place inside, if any, starts the message), so
//! one pattern reads every line:
//! `^(.+?):(?:(\d+):(?:(\d+):)?)? (error|warning|note) (\S+) (.*)$`.
//! Inputs that could not be checked are `input: error shipcheck cannot check: …`.

use std::io::{self, Write};

use crate::escape::one_line;
use crate::{Locator, Report};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        let artifact = one_line(&f.subject.artifact);
        let place = match f.subject.locator {
            Locator::Position { line, column: Some(c) } => format!("{artifact}:{line}:{c}:"),
            Locator::Position { line, column: None } => format!("{artifact}:{line}:"),
            _ => format!("{artifact}:"),
        };
        writeln!(out, "{place} {} {} {}", f.severity, f.rule.id, one_line(&super::placed_message(f)))?;
    }
    for e in &report.errors {
        writeln!(out, "{}: error shipcheck cannot check: {}", one_line(&e.input), one_line(&e.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::render::{fixture, tests::rendered, Format};

    #[test]
    fn one_line_per_finding() {
        let text = rendered(&fixture::report(), Format::Concise);
        insta::assert_snapshot!(text);
        let pattern = regex::Regex::new(r"^(.+?):(?:(\d+):(?:(\d+):)?)? (error|warning|note) (\S+) (.*)$").unwrap();
        for line in text.lines() {
            assert!(pattern.is_match(line), "{line}");
        }
        assert_eq!(text.lines().count(), 4);
    }
}
