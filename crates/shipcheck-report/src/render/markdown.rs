//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments: a summary line, what was
//! checked, then one table per area (severity, rule, location, message, fix), then the inputs
//! that could not be checked.
//!
//! Every cell is text from an input: Markdown and HTML punctuation is backslash-escaped and
//! `&` written as `&amp;`, so an input cannot add a link, an image, a mention-like emphasis
//! or raw HTML to a comment, nor break out of its cell; newlines become `<br>`.

use std::io::{self, Write};

use crate::escape::multi_line;
use crate::{Report, Severity};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let (e, w, n) = (report.count(Severity::Error), report.count(Severity::Warning), report.count(Severity::Note));
    let title = match &report.command {
        Some(c) => format!("shipcheck {}", md(c)),
        None => "shipcheck".to_string(),
    };
    if report.nothing_to_check() {
        writeln!(out, "## {title}: nothing to check\n")?;
        writeln!(out, "Looked in {}.", md(&report.looked.join("; ")))?;
        return Ok(());
    }
    writeln!(
        out,
        "## {title}: {}, {}, {}\n",
        super::plural(e, "error"),
        super::plural(w, "warning"),
        super::plural(n, "note")
    )?;
    // A few inputs by name; many (every workflow of a repository) by count.
    match report.checked.len() {
        0 => {}
        n @ 1..=5 => {
            let inputs: Vec<String> =
                report.checked.iter().map(|c| format!("{} ({})", md(&c.input), md(&c.kind))).collect();
            writeln!(out, "Checked {}: {}.\n", super::plural(n, "input"), inputs.join(", "))?;
        }
        n => writeln!(out, "Checked {}.\n", super::plural(n, "input"))?,
    }
    let mut areas: Vec<&str> = report.findings.iter().map(|f| f.rule.area()).collect();
    areas.sort_unstable();
    areas.dedup();
    for area in areas {
        writeln!(out, "### {area}\n")?;
        writeln!(out, "| Severity | Rule | Location | Message | Fix |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for f in report.findings.iter().filter(|f| f.rule.area() == area) {
            writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                f.severity,
                f.rule.id,
                md(&super::located(&f.subject)),
                md(&f.message),
                md(&f.remedy)
            )?;
        }
        writeln!(out)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "### Could not check\n")?;
        for e in &report.errors {
            writeln!(out, "- {}: {}", md(&e.input), md(&e.message))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A table cell from input text: see the module documentation. Indentation at the start of a
/// line (a YAML snippet in a fix) is kept as no-break spaces.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    for c in multi_line(text).chars() {
        if line_start && c == ' ' {
            out.push_str("&nbsp;");
            continue;
        }
        line_start = c == '\n';
        match c {
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '!' | '#' | '(' | ')' | '@' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{fixture, tests::rendered, Format};

    #[test]
    fn a_table_per_area() {
        let text = rendered(&fixture::report(), Format::Markdown);
        insta::assert_snapshot!(text);
        assert!(text.contains("### image\n") && text.contains("### workflow\n"));
    }

    #[test]
    fn cells_cannot_break_out() {
        assert_eq!(
            md("a|b\n![x](http://e/p.png) <img> &lt; @team"),
            r"a\|b<br>\!\[x\]\(http://e/p.png\) \<img\> &amp;lt; \@team"
        );
        assert_eq!(md("jobs:\n  build: x"), "jobs:<br>&nbsp;&nbsp;build: x");
    }
}
