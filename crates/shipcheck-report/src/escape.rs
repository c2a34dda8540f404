//! Text from inputs (layer names, log lines, registry errors) as it may be shown on a terminal
//! or in a CI log: no control characters (screen clearing, cursor moves, a `\r` that redraws
//! the line as "ALL CLEAN"), no bidirectional overrides, and nothing the GitHub Actions runner
//! would take for a workflow command. The runner parses `::cmd::` at the start of a line after
//! trimming leading white space, and the legacy `##[cmd]` anywhere in a line
//! (actions/runner `ActionCommand.TryParseV2` / `TryParse`).

use std::borrow::Cow;

/// Characters escaped wherever they come from: C0 and C1 controls and DEL (tab excepted),
/// bidirectional formatting, and the Unicode line separators.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

fn escape_chars(s: &str, keep_newline: bool) -> Cow<'_, str> {
    let bad = |c: char| is_unsafe(c) && !(keep_newline && c == '\n');
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A one-line field: every control character escaped, newlines included (`\n` shows as `\n`).
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape_chars(s, false)
}

/// A field that may span lines: control characters escaped, newlines kept. The caller
/// indents continuation lines; [`workflow_commands`] guards their starts.
pub fn multi_line(s: &str) -> Cow<'_, str> {
    escape_chars(s, true)
}

/// Whole rendered output: a line that starts (after white space) with `::` gets a `\` before
/// it, and `##[` becomes `##\[`, so that GitHub parses no workflow command from it. The
/// renderer's own text never has either, so only text from inputs changes.
pub fn workflow_commands(text: &str) -> Cow<'_, str> {
    let starts = |l: &str| l.trim_start().starts_with("::");
    if !text.contains("##[") && !text.split('\n').any(starts) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| {
            let l = l.replace("##[", "##\\[");
            if starts(&l) {
                let lead = l.len() - l.trim_start().len();
                format!("{}\\{}", &l[..lead], &l[lead..])
            } else {
                l
            }
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// Text that leaves the program outside a report (an error on stderr): secrets redacted,
/// control characters escaped except newlines, and no workflow command on any line.
pub fn terminal(text: &str) -> String {
    let redacted = crate::redact::redact_cow(text);
    let escaped = multi_line(&redacted);
    workflow_commands(&escaped).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_commands_are_neutralized() {
        assert_eq!(one_line("a\x1b[2Jb\rc\nd\u{9b}e\u{202e}f\tg"), "a\\u{1b}[2Jb\\rc\\nd\\u{9b}e\\u{202e}f\tg");
        assert_eq!(multi_line("a\nb\x07"), "a\nb\\u{7}");
        assert!(matches!(one_line("plain text"), Cow::Borrowed(_)));
        assert_eq!(
            workflow_commands("ok\n  ::error::x\n\u{a0}::warning::y"),
            "ok\n  \\::error::x\n\u{a0}\\::warning::y"
        );
        assert_eq!(workflow_commands("see ##[error]boom"), "see ##\\[error]boom");
        assert_eq!(workflow_commands("a :: b"), "a :: b");
        assert_eq!(terminal("token=abc\n::error::x\x1b"), "token=[REDACTED]\n\\::error::x\\u{1b}");
    }
}
