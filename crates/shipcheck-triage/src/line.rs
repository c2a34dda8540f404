//! Normalizing one raw CI log line: GitHub Actions timestamps and `##[…]` commands, ANSI colour,
//! carriage-return progress, BuildKit step prefixes, GitLab section markers.

use std::borrow::Cow;

/// Longest line kept for matching; the rest of a longer line is skipped, never held.
pub const MAX_LINE: usize = 64 << 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    Group(String),
    EndGroup,
    Error,
    Section(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The line as matched: no timestamp, no ANSI codes, only the text after the last `\r`.
    pub text: String,
    /// GitHub Actions' ISO 8601 timestamp, if the line had one.
    pub timestamp: Option<String>,
    pub marker: Option<Marker>,
    /// BuildKit step number (`#12`), if the line had one.
    pub step: Option<u32>,
}

crate::static_regex!(ansi, r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]");

crate::static_regex!(timestamp, r"^\u{feff}?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ?");

crate::static_regex!(buildkit, r"^#(\d+) (?:\d+\.\d+ )?");

crate::static_regex!(gitlab_section, r"section_(start|end):\d+:([A-Za-z0-9_.-]+)");

pub fn normalize(raw: &[u8]) -> Line {
    let raw = &raw[..raw.len().min(MAX_LINE)];
    let text: Cow<str> = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\n', '\r']);
    let mut marker = None;
    // GitLab writes `section_start:…\r\x1b[0K` before the visible text: read it first.
    if let Some(c) = gitlab_section().captures(text) {
        if &c[1] == "start" {
            marker = Some(Marker::Section(c[2].to_string()));
        }
    }
    // A progress line is redrawn with \r: what the reader saw last is what counts.
    let visible = text.rsplit('\r').find(|s| !s.trim().is_empty()).unwrap_or("");
    let visible = ansi().replace_all(visible, "");
    let visible = unquote(&visible);
    let mut s: &str = &visible;
    let mut ts = None;
    if let Some(c) = timestamp().captures(s) {
        ts = Some(c[1].to_string());
        s = &s[c.get(0).map_or(0, |m| m.end())..];
    }
    if let Some(rest) = s.strip_prefix("##[group]") {
        marker = Some(Marker::Group(rest.trim().to_string()));
        s = rest;
    } else if s.starts_with("##[endgroup]") {
        marker = Some(Marker::EndGroup);
    } else if let Some(rest) = s.strip_prefix("##[error]") {
        marker = Some(Marker::Error);
        s = rest;
    } else if let Some(rest) = s.strip_prefix("##[warning]").or_else(|| s.strip_prefix("##[notice]")) {
        s = rest;
    }
    let mut step = None;
    if let Some(c) = buildkit().captures(s) {
        step = c[1].parse().ok();
        s = &s[c.get(0).map_or(0, |m| m.end())..];
    }
    Line { text: s.trim().to_string(), timestamp: ts, marker, step }
}

crate::static_regex!(emphasis, r"\*\*([^*]+)\*\*");

crate::static_regex!(markdown_link, r"\[([^\]]*)\]\(([^)\s]*)\)");

/// A line as it was before someone pasted it into an issue: without the `>` quote marks, the
/// `**` of emphasis, a code span around the whole line, markdown links in place of their text, and
/// links to nowhere (`[8]()`, what a rendered step number becomes) dropped. A log line rarely holds these, and never needs them to be matched.
fn unquote(s: &str) -> Cow<'_, str> {
    let mut t = s.trim_start();
    while let Some(rest) = t.strip_prefix('>') {
        t = rest.trim_start();
    }
    // A whole line in a code span or after a fence; backticks inside a line are the tool's own
    // (rustc: could not compile `app`).
    let t = t.trim_start_matches("```");
    let t = match t.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        Some(inner) if !inner.contains('`') => inner,
        _ => t,
    };
    if !t.contains(['*', ']']) {
        return Cow::Borrowed(t);
    }
    let t = emphasis().replace_all(t, "$1");
    if t.contains("](") {
        let linked = markdown_link().replace_all(
            &t,
            |c: &regex::Captures| {
                if c[2].is_empty() {
                    String::new()
                } else {
                    c[1].to_string()
                }
            },
        );
        Cow::Owned(linked.into_owned())
    } else {
        Cow::Owned(t.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ci_decorations() {
        let l = normalize(b"2025-03-26T22:40:25.1234567Z ##[error]buildx failed with: ERROR: failed to solve\n");
        assert_eq!(l.timestamp.as_deref(), Some("2025-03-26T22:40:25.1234567Z"));
        assert_eq!(l.marker, Some(Marker::Error));
        assert_eq!(l.text, "buildx failed with: ERROR: failed to solve");
        let l = normalize(b"2025-03-26T22:30:00Z #12 3.456 \x1b[31mrun: unrecognized option '--keep'\x1b[0m");
        assert_eq!(l.step, Some(12));
        assert_eq!(l.text, "run: unrecognized option '--keep'");
        let l = normalize(b"Downloading 10%\rDownloading 55%\rDownloading 100%\r\n");
        assert_eq!(l.text, "Downloading 100%");
        let l = normalize(b"\x1b[0Ksection_start:1700000000:build_image\r\x1b[0K\x1b[36;1mBuild image\x1b[0;m");
        assert_eq!(l.marker, Some(Marker::Section("build_image".into())));
        assert_eq!(l.text, "Build image");
        assert_eq!(
            normalize(b"##[group]Run docker/build-push-action@v6").marker,
            Some(Marker::Group("Run docker/build-push-action@v6".into()))
        );
        // What a paste into an issue adds.
        assert_eq!(
            normalize(b"> > **unauthorized**: authentication required\r\n").text,
            "unauthorized: authentication required"
        );
        assert_eq!(normalize(b"`denied: denied`").text, "denied: denied");
        assert_eq!(normalize(b"error: could not compile `app`").text, "error: could not compile `app`");
        assert_eq!(normalize(b"#8 [8]() ERROR: failed to solve").text, "ERROR: failed to solve");
        assert_eq!(normalize(b"make: *** [all] Error 2").text, "make: *** [all] Error 2");
        assert_eq!(normalize(b"see [the docs](https://example.com/x) now").text, "see the docs now");
        // Binary garbage does not fail.
        let l = normalize(&[0xff, 0xfe, 0x00, b'x']);
        assert!(l.text.contains('x'));
    }
}
