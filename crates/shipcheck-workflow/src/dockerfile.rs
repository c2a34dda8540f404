//! A Dockerfile parser that keeps lines: parser directives (`# escape=`), line continuations with
//! the escape character, comments inside continuations, heredocs (`<<EOF`, `<<-EOF`, quoted
//! delimiters) and stages with their `FROM` flags, following BuildKit's frontend
//! (moby/buildkit frontend/dockerfile/parser and instructions).

/// Instructions BuildKit knows.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Upper-case keyword.
    pub keyword: String,
    /// Everything after the keyword, continuations joined with a space, heredoc bodies excluded.
    pub args: String,
    /// The bodies of the instruction's heredocs, in order.
    pub heredocs: Vec<String>,
    /// 1-based line where the instruction starts.
    pub line: u32,
    /// 1-based column of its keyword.
    pub column: u32,
}

impl Instruction {
    /// Where a finding about this instruction points.
    pub fn subject(&self, artifact: &str) -> shipcheck_report::Subject {
        shipcheck_report::Subject::position(artifact, self.line, Some(self.column))
    }

    /// The arguments and heredoc bodies: all text the instruction carries.
    pub fn text(&self) -> String {
        let mut t = self.args.clone();
        for h in &self.heredocs {
            t.push('\n');
            t.push_str(h);
        }
        t
    }

    /// `--name=value` flags at the start of the arguments (FROM, COPY, ADD, RUN).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.args
            .split_whitespace()
            .take_while(|w| w.starts_with("--"))
            .find_map(|w| w.strip_prefix("--").and_then(|w| w.strip_prefix(name)).and_then(|w| w.strip_prefix('=')))
    }

    /// The arguments after leading `--flags`.
    pub fn operands(&self) -> Vec<&str> {
        self.args.split_whitespace().skip_while(|w| w.starts_with("--")).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Index of its FROM in `Dockerfile::instructions`.
    pub from: usize,
    pub image: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    /// Instructions of the stage (after FROM), as indexes.
    pub body: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dockerfile {
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// Instructions before the first FROM (global ARGs).
    pub preamble: std::ops::Range<usize>,
    /// Problems that make BuildKit refuse the file: (line, message).
    pub errors: Vec<(u32, String)>,
}

/// Parses a Dockerfile. Never fails: what BuildKit would refuse is in `errors`.
pub fn parse(text: &str) -> Dockerfile {
    let lines: Vec<&str> = text.lines().collect();
    let mut df = Dockerfile { escape: '\\', ..Default::default() };
    let mut i = 0;
    // Parser directives: only at the very top, before any comment, blank line or instruction.
    while i < lines.len() {
        let Some(d) = directive(lines[i]) else { break };
        if d.0 == "escape" {
            match d.1.as_str() {
                "`" => df.escape = '`',
                "\\" => df.escape = '\\',
                other => {
                    df.errors.push((i as u32 + 1, format!("invalid escape directive {other:?}: expected \\ or `")))
                }
            }
        }
        i += 1;
    }
    while i < lines.len() {
        let start = i;
        let line = lines[i];
        i += 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut logical = String::new();
        let mut current = line.to_string();
        loop {
            match continued(&current, df.escape) {
                Some(head) => {
                    logical.push_str(head);
                    logical.push(' ');
                    // Comment and empty lines inside a continuation are dropped, as BuildKit does.
                    while i < lines.len() && (lines[i].trim().is_empty() || lines[i].trim_start().starts_with('#')) {
                        i += 1;
                    }
                    if i >= lines.len() {
                        break;
                    }
                    current = lines[i].to_string();
                    i += 1;
                }
                None => {
                    logical.push_str(&current);
                    break;
                }
            }
        }
        let logical = logical.trim();
        let (word, args) = logical.split_once(char::is_whitespace).unwrap_or((logical, ""));
        let keyword = word.to_ascii_uppercase();
        if !KEYWORDS.contains(&keyword.as_str()) {
            df.errors.push((start as u32 + 1, format!("unknown instruction: {word}")));
            continue;
        }
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (delim, strip_tabs) in heredoc_markers(args) {
                let mut body = String::new();
                let mut closed = false;
                while i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    let cmp = if strip_tabs { l.trim_start_matches('\t') } else { l };
                    if cmp == delim {
                        closed = true;
                        break;
                    }
                    body.push_str(cmp);
                    body.push('\n');
                }
                if !closed {
                    df.errors.push((
                        start as u32 + 1,
                        format!("heredoc <<{delim} is not closed before the end of the file"),
                    ));
                }
                heredocs.push(body);
            }
        }
        let column = (line.len() - trimmed.len()) as u32 + 1;
        df.instructions.push(Instruction {
            keyword,
            args: args.trim().to_string(),
            heredocs,
            line: start as u32 + 1,
            column,
        });
    }
    stages(&mut df);
    df
}

/// `# key=value` at the top of the file.
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.trim().strip_prefix('#')?;
    let (k, v) = body.split_once('=')?;
    let k = k.trim().to_ascii_lowercase();
    (matches!(k.as_str(), "syntax" | "escape" | "check") && !k.contains(' ')).then(|| (k, v.trim().to_string()))
}

/// The line without its trailing escape character, if it continues on the next line.
fn continued(line: &str, escape: char) -> Option<&str> {
    // BuildKit's rule: the escape character followed only by blanks ends a continued line.
    line.trim_end_matches([' ', '\t']).strip_suffix(escape)
}

/// Heredoc delimiters opened in an instruction's arguments, as BuildKit finds them
/// (parser.heredocsFromLine): each shell word, quotes kept, that is `[fd]<<[-]WORD` in whole;
/// the delimiter is WORD unquoted (`<<robots.txt`, `5<<FILE1`, `<<"EOF"`). `cat<<EOF` and
/// `"<<EOF"` open none.
fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for word in shell_words(args) {
        let Some(rest) = word.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix("<<") else { continue };
        let (strip, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.contains('<') {
            continue;
        }
        let delimiter: String = rest.chars().filter(|c| *c != '"' && *c != '\'').collect();
        if !delimiter.is_empty() {
            out.push((delimiter, strip));
        }
        if out.len() > 16 {
            break;
        }
    }
    out
}

/// The words of a line split at blanks outside quotes, quotes kept.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn stages(df: &mut Dockerfile) {
    let froms: Vec<usize> =
        df.instructions.iter().enumerate().filter(|(_, ins)| ins.keyword == "FROM").map(|(i, _)| i).collect();
    df.preamble = 0..froms.first().copied().unwrap_or(df.instructions.len());
    for (n, &f) in froms.iter().enumerate() {
        let end = froms.get(n + 1).copied().unwrap_or(df.instructions.len());
        let ins = &df.instructions[f];
        let ops = ins.operands();
        let Some(image) = ops.first() else {
            df.errors.push((ins.line, "FROM without an image".into()));
            continue;
        };
        let name = match (ops.get(1), ops.get(2)) {
            (Some(a), Some(n)) if a.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
            _ => None,
        };
        df.stages.push(Stage {
            from: f,
            image: image.to_string(),
            name,
            platform: ins.flag("platform").map(String::from),
            body: f + 1..end,
        });
    }
}

/// Variables an instruction reads: `$NAME` and `${NAME…}` (not escaped).
pub fn references(text: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == escape && escape == '\\' && chars.get(i + 1) == Some(&'$') {
            i += 2;
            continue;
        }
        if chars[i] == '$' {
            let braced = chars.get(i + 1) == Some(&'{');
            let s = i + 1 + usize::from(braced);
            let mut e = s;
            while e < chars.len() && (chars[e].is_ascii_alphanumeric() || chars[e] == '_') {
                e += 1;
            }
            if e > s && !chars[s].is_ascii_digit() {
                let name: String = chars[s..e].iter().collect();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
            i = e.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// Names an `ARG` instruction declares, with whether each has a default.
pub fn arg_names(args: &str) -> Vec<(String, bool)> {
    args.split_whitespace()
        .map(|w| match w.split_once('=') {
            Some((k, _)) => (k.to_string(), true),
            None => (w.to_string(), false),
        })
        .collect()
}

/// Names an `ENV` instruction sets (`ENV A=1 B=2` or the legacy `ENV A 1`).
pub fn env_names(args: &str) -> Vec<String> {
    let first = args.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        return vec![first.to_string()].into_iter().filter(|s| !s.is_empty()).collect();
    }
    // Values may be quoted and contain spaces; keys are the words before `=` outside quotes.
    let mut names = Vec::new();
    let mut quote = None;
    let mut word = String::new();
    for c in args.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '=') if !word.is_empty() && !word.contains('=') => {
                names.push(word.clone());
                word.push('=');
            }
            (None, c) if c.is_whitespace() => word.clear(),
            (None, c) => word.push(c),
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_directives() {
        let df = parse("# escape=`\n# syntax=docker/dockerfile:1\nFROM alpine AS base\nRUN echo a `\n# a comment\n\n    && echo b\nrun echo c\n");
        assert_eq!(df.escape, '`');
        assert_eq!(df.instructions.len(), 3);
        assert!(df.instructions[1].args.starts_with("echo a ") && df.instructions[1].args.ends_with(" && echo b"));
        assert_eq!(df.instructions[1].line, 4);
        assert_eq!(df.instructions[2].keyword, "RUN");
        assert_eq!(df.stages[0].name.as_deref(), Some("base"));
    }

    #[test]
    fn heredocs() {
        let df = parse("FROM alpine\nRUN <<EOF\nset -e\nwget https://x/y-amd64.tgz\nEOF\nCOPY <<-\"A\" /a\n\tbody\n\tA\nUSER nobody\n");
        assert_eq!(df.instructions.len(), 4, "{df:?}");
        assert!(df.instructions[1].heredocs[0].contains("y-amd64"));
        assert_eq!(df.instructions[2].heredocs[0], "body\n");
        assert_eq!(df.instructions[3].line, 9);
        assert!(df.errors.is_empty());
        let bad = parse("FROM alpine\nRUN <<EOF\necho\n");
        assert!(bad.errors[0].1.contains("not closed"));
        // Delimiters are whole shell words, as BuildKit reads them: dots and fd prefixes
        // belong to them; `cat<<EOF` and a quoted `"<<EOF"` open nothing.
        let df = parse("FROM alpine\nCOPY <<robots.txt <<humans.txt /test/\nr\nrobots.txt\nh\nhumans.txt\nRUN cat /proc/self/fd/5 5<<FILE1 > t\nx\nFILE1\nRUN echo \"<<EOF\" && cat<<EOF\nUSER nobody\n");
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(df.instructions.len(), 5);
        assert_eq!(df.instructions[1].heredocs, ["r\n", "h\n"]);
        assert_eq!(df.instructions[4].keyword, "USER");
    }

    #[test]
    fn stages_flags_and_names() {
        let df = parse("ARG GO=1.22\nFROM --platform=$BUILDPLATFORM golang:${GO} AS build\nRUN go build\nFROM scratch\nCOPY --from=build /app /\n");
        assert_eq!(df.preamble, 0..1);
        assert_eq!(df.stages.len(), 2);
        assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(df.stages[1].body, 4..5);
        assert!(parse("FROM\n").errors[0].1.contains("without an image"));
        assert!(parse("FROMM alpine\n").errors[0].1.contains("unknown instruction"));
    }

    #[test]
    fn references_and_declarations() {
        assert_eq!(references("a ${B:-x} $C_1 \\$D $1 ${E}", '\\'), ["B", "C_1", "E"]);
        assert_eq!(arg_names("A=1 B"), [("A".into(), true), ("B".into(), false)]);
        assert_eq!(env_names("A=\"x y\" B=2"), ["A", "B"]);
        assert_eq!(env_names("PATH /usr/bin"), ["PATH"]);
    }
}
