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
    /// Lines inside `%if` blocks are read as written; the conditions are not evaluated.
    pub conditionals: usize,
}

/// Most lines and bytes read from a spec file.
pub const MAX_SPEC_BYTES: usize = 4 << 20;

pub fn parse(text: &str) -> Spec {
    let mut s = Spec::default();
    let mut in_changelog = false;
    let mut in_preamble = true;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with("%if") {
            s.conditionals += 1;
        }
        if let Some(rest) = line.strip_prefix("%global").or_else(|| line.strip_prefix("%define")) {
            let rest = rest.trim_start();
            if let Some((name, value)) = rest.split_once(char::is_whitespace) {
                let name = name.trim_end_matches("()");
                s.macros.entry(name.to_string()).or_insert_with(|| value.trim().to_string());
            }
            continue;
        }
        if line == "%changelog" || line.starts_with("%changelog ") {
            s.changelogs.push(line_no);
            in_changelog = true;
            in_preamble = false;
            continue;
        }
        if line.starts_with('%') && !line.starts_with("%{") && is_section(line) {
            in_changelog = false;
            in_preamble = false;
            continue;
        }
        if in_changelog {
            if line == "%autochangelog" {
                s.autochangelog = true;
            } else if line.starts_with('*') && s.top_entry.is_none() {
                s.top_entry = Some((line.to_string(), line_no));
            }
            continue;
        }
        if in_preamble {
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
    }
    s
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
    pub fn expand(&self, value: &str) -> Result<String, String> {
        self.expand_depth(value, 0)
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

    fn expand_depth(&self, value: &str, depth: usize) -> Result<String, String> {
        if depth > 16 {
            return Err(format!("macro recursion deeper than 16 in `{value}`"));
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
                    None => return Err(format!("unclosed `%{{` in `{value}`")),
                }
            } else {
                let n = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
                (&after[..n], &after[n..])
            };
            let (optional, name) = match body.strip_prefix('?') {
                Some(n) => (true, n),
                None => (false, body),
            };
            if name == "autorelease" {
                out.push_str("%autorelease");
            } else if let Some(v) = self.lookup(name) {
                out.push_str(&self.expand_depth(&v, depth + 1)?);
            } else if !optional {
                return Err(format!(
                    "cannot expand `%{body}`: not defined in the spec (it may come from the build system)"
                ));
            }
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
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
        assert!(s.expand("%{commit}").unwrap_err().contains("cannot expand `%commit`"));
        assert_eq!(s.expand("%%{name}").unwrap(), "%{name}");
        assert_eq!(s.expand("%autorelease").unwrap(), "%autorelease");
    }
}
