use std::io::{self, Write};

use crate::{Locator, Report, Severity};

/// GitHub Actions workflow commands: `::error file=…,line=…,title=…::message`.
/// <https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions>
pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = vec![format!("file={}", property(&f.subject.artifact))];
        if let Locator::Position { line, column } = f.subject.locator {
            props.push(format!("line={line}"));
            if let Some(c) = column {
                props.push(format!("col={c}"));
            }
        }
        props.push(format!("title={}", property(f.rule.id)));
        let mut message = super::placed_message(f);
        for (k, v) in &f.evidence {
            message.push_str(&format!("\n{k}: {v}"));
        }
        if !f.remedy.is_empty() {
            message.push_str(&format!("\nfix: {}", f.remedy));
        }
        writeln!(out, "::{command} {}::{}", props.join(","), data(&message))?;
    }
    for e in &report.errors {
        writeln!(
            out,
            "::error file={},title=shipcheck::{}",
            property(&e.input),
            data(&format!("cannot check: {}", e.message))
        )?;
    }
    Ok(())
}

/// Escapes as the runner unescapes; other control characters (ANSI sequences) are shown
/// escaped, as in the human format.
fn data(s: &str) -> String {
    crate::escape::multi_line(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn annotations_escape_and_locate() {
        let mut buf = Vec::new();
        render(&fixture::report(), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains(
            "::warning file=.github/workflows/release.yml,line=12,col=7,title=workflow/platform-drift::riscv64"
        ));
        assert!(text.contains("::error file=corrupt.tar,title=image/blob-digest-mismatch::sha256:aaaa: layer content"));
        assert!(text.contains("%0Aactual: sha256:bbbb%0Afix: Re-export"));
        assert!(text.contains("::error file=missing.tar,title=shipcheck::cannot check"));
        assert!(text.contains("::notice "));
        // One line per annotation: newlines in messages are escaped.
        assert_eq!(text.lines().count(), 4, "{text}");
    }
}
