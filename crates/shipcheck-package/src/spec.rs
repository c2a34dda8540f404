//! RPM spec files at the level release checks need: preamble tags, `%global`/`%define` macros,
//! `%{name}`/`%{version}`/`%{release}`, `%{?dist}` and other optional macros, and the
//! `%changelog`. What cannot be expanded is reported, never guessed.

use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Spec {
    /// Preamble tags (lowercase name → raw value, as written), first occurrence.
    pub tags: BTreeMap<String, (String, usize)>,
    pub macros: BTreeMap<String, String>,
    /// 1-based lines of every `%changelog` section.
    pub changelogs: Vec<usize>,
    /// The first changelog entry: header line text and its line number.
    pub top_entry: Option<(String, usize)>,
    pub autochangelog: bool,
    /// `%if`/`%ifarch`… conditions that could not be evaluated: their branches are all read,
    /// as written.
    pub conditionals: usize,
}

/// The macros a spec is evaluated with: Fedora rawhide, as packit's propose-downstream builds
/// it first. `%{fedora}` is rawhide's number, one above the newest branched Fedora in the
/// dated target table.
pub fn rawhide_context() -> BTreeMap<String, String> {
    let newest = crate::targets::table().newest_fedora().unwrap_or(43);
    [("fedora".to_string(), (newest + 1).to_string())].into()
}

/// Why a value cannot be expanded: it names the first macro that cannot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    #[error("macro recursion deeper than 16 in `{value}`")]
    TooDeep { value: String },
    #[error("unclosed `%{{` in `{value}`")]
    Unclosed { value: String },
    /// `body` is the macro as written between `%{` and `}` (or after `%`).
    #[error("cannot expand `%{body}`: not defined in the spec (it may come from the build system)")]
    Undefined { body: String },
}

/// One open `%if`: whether its current branch is read (`None`: unknown, read as written), and
/// whether an earlier branch already was.
struct Frame {
    taken: Option<bool>,
    done: Option<bool>,
}

/// Most lines and bytes read from a spec file.
pub const MAX_SPEC_BYTES: usize = 4 << 20;

pub fn parse(text: &str) -> Spec {
    parse_with(text, &rawhide_context())
}

/// Parses a spec with `context` macros defined (`fedora`, `rhel`, …), evaluating `%if`,
/// `%elif`, `%else` and `%endif`; `%ifarch`/`%ifos` and conditions it cannot evaluate read all
/// their branches, as written.
pub fn parse_with(text: &str, context: &BTreeMap<String, String>) -> Spec {
    let mut s = Spec { macros: context.clone(), ..Spec::default() };
    let mut part = Part::Preamble;
    let mut stack: Vec<Frame> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || conditional(&mut s, &mut stack, line) {
            continue;
        }
        if stack.iter().all(|f| f.taken != Some(false)) {
            read_line(&mut s, &mut part, line, i + 1);
        }
    }
    s
}

/// Which part of the spec a line is in: tags are read in the preamble, entries in `%changelog`.
enum Part {
    Preamble,
    Changelog,
    /// Any other section (`%description`, `%build`, …).
    Other,
}

/// Follows `%if`/`%elif`/`%else`/`%endif` (and the arch and OS forms) on `stack`; false when
/// `line` is not one of them.
fn conditional(s: &mut Spec, stack: &mut Vec<Frame>, line: &str) -> bool {
    let active = stack.iter().all(|f| f.taken != Some(false));
    let word = line.split_whitespace().next().unwrap_or("");
    match word {
        "%if" | "%ifarch" | "%ifnarch" | "%ifos" | "%ifnos" => {
            let taken = if !active {
                Some(false)
            } else if word == "%if" {
                condition(s, line[3..].trim())
            } else {
                None
            };
            if taken.is_none() {
                s.conditionals += 1;
            }
            stack.push(Frame { taken, done: taken });
        }
        "%elif" | "%elifarch" | "%elifos" | "%else" => {
            let parent_active = stack.len() < 2 || stack[..stack.len() - 1].iter().all(|f| f.taken != Some(false));
            if let Some(f) = stack.last_mut() {
                f.taken = match (f.done, parent_active) {
                    (_, false) | (Some(true), _) => Some(false),
                    (None, _) => None,
                    (Some(false), true) if word == "%else" => Some(true),
                    (Some(false), true) if word == "%elif" => condition(s, line[5..].trim()),
                    (Some(false), true) => None,
                };
                if f.taken == Some(true) {
                    f.done = Some(true);
                } else if f.taken.is_none() {
                    f.done = None;
                }
            }
        }
        "%endif" => {
            stack.pop();
        }
        _ => return false,
    }
    true
}

/// Reads one line that the conditions let through: macro definitions, section starts,
/// changelog entries and preamble tags.
fn read_line(s: &mut Spec, part: &mut Part, line: &str, line_no: usize) {
    // `%bcond_without x` builds with x by default; `%bcond x 1` (rpm ≥ 4.17.1) likewise.
    let bcond_on = match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["%bcond_without", name] => Some(*name),
        ["%bcond", name, default] if *default != "0" => Some(*name),
        _ => None,
    };
    if let Some(name) = bcond_on {
        s.macros.entry(format!("with_{name}")).or_insert_with(|| "1".into());
        return;
    }
    if let Some(rest) = line.strip_prefix("%global").or_else(|| line.strip_prefix("%define")) {
        let rest = rest.trim_start();
        if let Some((name, value)) = rest.split_once(char::is_whitespace) {
            let name = name.trim_end_matches("()");
            s.macros.entry(name.to_string()).or_insert_with(|| value.trim().to_string());
        }
        return;
    }
    if line == "%changelog" || line.starts_with("%changelog ") {
        s.changelogs.push(line_no);
        *part = Part::Changelog;
        return;
    }
    if line.starts_with('%') && !line.starts_with("%{") && is_section(line) {
        *part = Part::Other;
        return;
    }
    match part {
        Part::Changelog => {
            if line == "%autochangelog" {
                s.autochangelog = true;
            } else if line.starts_with('*') && s.top_entry.is_none() {
                s.top_entry = Some((line.to_string(), line_no));
            }
        }
        Part::Preamble => {
            if let Some((tag, value)) = line.split_once(':') {
                let tag = tag.trim();
                if !tag.is_empty()
                    && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '(' || c == ')')
                    && !tag.contains(' ')
                {
                    s.tags.entry(tag.to_ascii_lowercase()).or_insert((value.trim().to_string(), line_no));
                }
            }
        }
        Part::Other => {}
    }
}

fn is_section(line: &str) -> bool {
    let word = line.split_whitespace().next().unwrap_or("");
    matches!(
        word,
        "%description"
            | "%package"
            | "%prep"
            | "%build"
            | "%install"
            | "%check"
            | "%files"
            | "%clean"
            | "%pre"
            | "%post"
            | "%preun"
            | "%postun"
            | "%pretrans"
            | "%posttrans"
            | "%generate_buildrequires"
            | "%conf"
            | "%triggerin"
            | "%triggerun"
            | "%triggerpostun"
            | "%verifyscript"
            | "%sourcelist"
            | "%patchlist"
    )
}

impl Spec {
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags.get(name).map(|(v, _)| v.as_str())
    }

    pub fn tag_line(&self, name: &str) -> Option<usize> {
        self.tags.get(name).map(|(_, l)| *l)
    }

    /// Expands macros in `value`. `Err` names the first macro it cannot expand.
    /// `%{?name}` expands to nothing when undefined (`%{?dist}` is the distribution's business);
    /// `%autorelease` is kept as a word.
    pub fn expand(&self, value: &str) -> Result<String, ExpandError> {
        self.expand_depth(value, 0)
    }

    /// Expands for a `%if` condition: undefined `%{?x}` is empty, `%{with x}`/`%{without x}`
    /// follow `%bcond_with`/`%bcond_without`, `%{defined x}`/`%{undefined x}` test definitions.
    fn lookup_condition(&self, body: &str) -> Option<String> {
        let (func, arg) = body.split_once(' ')?;
        let defined = |n: &str| self.macros.contains_key(n);
        Some(match func {
            "with" => u8::from(defined(&format!("with_{arg}"))).to_string(),
            "without" => u8::from(!defined(&format!("with_{arg}"))).to_string(),
            "defined" => u8::from(defined(arg)).to_string(),
            "undefined" => u8::from(!defined(arg)).to_string(),
            _ => return None,
        })
    }

    fn lookup(&self, name: &str) -> Option<String> {
        match name {
            "name" => self.tag("name").map(String::from),
            "version" => self.tag("version").map(String::from),
            "release" => self.tag("release").map(String::from),
            "epoch" => self.tag("epoch").map(String::from),
            _ => self.macros.get(name).cloned(),
        }
    }

    fn expand_depth(&self, value: &str, depth: usize) -> Result<String, ExpandError> {
        if depth > 16 {
            return Err(ExpandError::TooDeep { value: value.into() });
        }
        let mut out = String::new();
        let mut rest = value;
        while let Some(p) = rest.find('%') {
            out.push_str(&rest[..p]);
            let after = &rest[p + 1..];
            if let Some(a) = after.strip_prefix('%') {
                out.push('%');
                rest = a;
                continue;
            }
            let (body, tail) = if let Some(b) = after.strip_prefix('{') {
                match b.find('}') {
                    Some(e) => (&b[..e], &b[e + 1..]),
                    None => return Err(ExpandError::Unclosed { value: value.into() }),
                }
            } else {
                let n = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
                (&after[..n], &after[n..])
            };
            let (optional, name) = match body.strip_prefix('?') {
                Some(n) => (true, n),
                None => (false, body),
            };
            if let Some(v) = self.lookup_condition(name) {
                out.push_str(&v);
            } else if name == "autorelease" {
                out.push_str("%autorelease");
            } else if let Some(v) = self.lookup(name) {
                out.push_str(&self.expand_depth(&v, depth + 1)?);
            } else if !optional {
                return Err(ExpandError::Undefined { body: body.into() });
            }
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Evaluates a `%if` expression after macro expansion: numbers, quoted strings, `!`, `==`,
/// `!=`, `<`, `>`, `<=`, `>=`, `&&`, `||` and parentheses. `None` when it cannot.
fn condition(spec: &Spec, expr: &str) -> Option<bool> {
    let expanded = spec.expand(expr).ok()?;
    let tokens = cond_tokens(&expanded)?;
    let mut p = CondParser { tokens, pos: 0, depth: 0 };
    let v = p.or()?;
    (p.pos == p.tokens.len()).then_some(v.truthy())
}

#[derive(Debug, Clone, PartialEq)]
enum CondValue {
    Num(i64),
    Str(String),
}

impl CondValue {
    fn truthy(&self) -> bool {
        match self {
            CondValue::Num(n) => *n != 0,
            CondValue::Str(s) => !s.is_empty(),
        }
    }
}

fn cond_tokens(s: &str) -> Option<Vec<String>> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '"' {
            let end = c[i + 1..].iter().position(|x| *x == '"')? + i + 1;
            out.push(c[i..=end].iter().collect());
            i = end + 1;
        } else if ch.is_ascii_digit() {
            let start = i;
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
            }
            out.push(c[start..i].iter().collect());
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(&two.as_str()) {
                out.push(two);
                i += 2;
            } else if "!<>()".contains(ch) {
                out.push(ch.to_string());
                i += 1;
            } else {
                return None;
            }
        }
    }
    Some(out)
}

struct CondParser {
    tokens: Vec<String>,
    pos: usize,
    depth: usize,
}

impl CondParser {
    fn eat(&mut self, t: &str) -> bool {
        if self.tokens.get(self.pos).map(String::as_str) == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<CondValue> {
        self.depth += 1;
        if self.depth > 32 {
            return None;
        }
        let mut v = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            v = CondValue::Num(i64::from(v.truthy() || r.truthy()));
        }
        self.depth -= 1;
        Some(v)
    }

    fn and(&mut self) -> Option<CondValue> {
        let mut v = self.cmp()?;
        while self.eat("&&") {
            let r = self.cmp()?;
            v = CondValue::Num(i64::from(v.truthy() && r.truthy()));
        }
        Some(v)
    }

    fn cmp(&mut self) -> Option<CondValue> {
        let l = self.unary()?;
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                let r = self.unary()?;
                let ord = match (&l, &r) {
                    (CondValue::Num(a), CondValue::Num(b)) => a.cmp(b),
                    (CondValue::Str(a), CondValue::Str(b)) => a.cmp(b),
                    _ => return None,
                };
                let v = match op {
                    "==" => ord.is_eq(),
                    "!=" => !ord.is_eq(),
                    "<=" => ord.is_le(),
                    ">=" => ord.is_ge(),
                    "<" => ord.is_lt(),
                    _ => ord.is_gt(),
                };
                return Some(CondValue::Num(i64::from(v)));
            }
        }
        Some(l)
    }

    fn unary(&mut self) -> Option<CondValue> {
        if self.eat("!") {
            self.depth += 1;
            if self.depth > 32 {
                return None;
            }
            let v = self.unary()?;
            self.depth -= 1;
            return Some(CondValue::Num(i64::from(!v.truthy())));
        }
        if self.eat("(") {
            let v = self.or()?;
            return self.eat(")").then_some(v);
        }
        let t = self.tokens.get(self.pos)?.clone();
        self.pos += 1;
        if let Some(s) = t.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            return Some(CondValue::Str(s.to_string()));
        }
        t.parse::<i64>().ok().map(CondValue::Num)
    }
}

/// Reads `* Mon Jan 01 2024 Name <mail> - 1.16-1` → (date, version-release).
pub fn entry_header(header: &str) -> Option<(String, Option<String>)> {
    let h = header.strip_prefix('*')?.trim();
    let words: Vec<&str> = h.split_whitespace().collect();
    if words.len() < 4 {
        return None;
    }
    let date = words[..4].join(" ");
    let evr = h.rsplit_once(" - ").map(|(_, v)| v.trim().to_string()).or_else(|| {
        let last = words.last()?;
        last.chars().next().filter(|c| c.is_ascii_digit()).map(|_| last.to_string())
    });
    Some((date, evr))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "%global built_tag 1.16\n%global gen_name crun\nName: %{gen_name}\nVersion: %{built_tag}\nRelease: 1%{?dist}\n\n%description\ntext\n\n%changelog\n* Tue Jul 02 2024 A Person <a@example.com> - 1.16-1\n- Update\n";

    #[test]
    fn conditionals_are_evaluated_for_rawhide() {
        let text = "%bcond_without docs\n%if 0%{?rhel} && 0%{?rhel} < 10\nVersion: 1.0\n%elif %{with docs}\nVersion: 2.0\n%else\nVersion: 3.0\n%endif\n%ifarch x86_64\nEpoch: 1\n%endif\n%if 0%{?fedora} >= 40\nRelease: 5\n%endif\n";
        let s = parse(text);
        assert_eq!(s.tag("version"), Some("2.0"));
        assert_eq!(s.tag("release"), Some("5"));
        assert_eq!(s.tag("epoch"), Some("1"), "an arch condition is read as written");
        assert_eq!(s.conditionals, 1);
        let el9: BTreeMap<String, String> = [("rhel".to_string(), "9".to_string())].into();
        assert_eq!(parse_with(text, &el9).tag("version"), Some("1.0"));
        // Nested and unbalanced blocks never panic.
        let s = parse("%if 0\n%if 1\nVersion: 9\n%endif\n%else\nVersion: 4\n%endif\n%endif\n%else\n");
        assert_eq!(s.tag("version"), Some("4"));
        let deep = format!("%if {}1{}\nVersion: 7\n%endif\n", "(".repeat(1000), ")".repeat(1000));
        let s = parse(&deep);
        assert_eq!((s.conditionals, s.tag("version")), (1, Some("7")), "too deep: unknown, read as written");
    }

    #[test]
    fn expands_tags_and_reads_the_changelog() {
        let s = parse(SPEC);
        assert_eq!(s.expand(s.tag("name").unwrap()).unwrap(), "crun");
        assert_eq!(s.expand(s.tag("version").unwrap()).unwrap(), "1.16");
        assert_eq!(s.expand(s.tag("release").unwrap()).unwrap(), "1");
        assert_eq!(s.changelogs, vec![10]);
        let (h, line) = s.top_entry.clone().unwrap();
        assert_eq!(line, 11);
        let (date, evr) = entry_header(&h).unwrap();
        assert_eq!(date, "Tue Jul 02 2024");
        assert_eq!(evr.as_deref(), Some("1.16-1"));
        assert!(s.expand("%{commit}").unwrap_err().to_string().contains("cannot expand `%commit`"));
        assert_eq!(s.expand("%%{name}").unwrap(), "%{name}");
        assert_eq!(s.expand("%autorelease").unwrap(), "%autorelease");
    }
}
