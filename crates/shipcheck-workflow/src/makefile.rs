//! Make targets that build images: `run: make docker-buildx` is followed into the Makefile, as
//! far as a reader of Make can without running it. Variables (`=`, `:=`, `::=`, `?=`, `+=`,
//! `export`, `override`), command-line overrides and the environment are applied; `$(shell …)`
//! and other functions are unknown. Recipes of the target and its prerequisites are returned as
//! one script for `shell::read`.

use std::collections::BTreeMap;

/// How deep prerequisites are followed.
const MAX_DEPTH: usize = 4;

#[derive(Debug, Default)]
pub struct Makefile {
    vars: BTreeMap<String, String>,
    /// Variables set with `?=`: the environment wins over them.
    conditional: BTreeMap<String, String>,
    rules: BTreeMap<String, (Vec<String>, Vec<String>)>,
    /// The first target, which `make` with no target builds.
    pub default: Option<String>,
}

pub fn parse(text: &str) -> Makefile {
    let mut m = Makefile::default();
    let mut current: Vec<String> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(raw) = lines.next() {
        let mut line = raw.to_string();
        while line.ends_with('\\') {
            line.pop();
            match lines.next() {
                Some(next) => {
                    line.push(' ');
                    line.push_str(next.trim_start());
                }
                None => break,
            }
        }
        if let Some(recipe) = line.strip_prefix('\t') {
            for t in &current {
                if let Some(rule) = m.rules.get_mut(t) {
                    rule.1.push(recipe.trim_start_matches(['@', '-', '+', ' ']).to_string());
                }
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let body = trimmed.strip_prefix("export ").or_else(|| trimmed.strip_prefix("override ")).unwrap_or(trimmed);
        if let Some((name, op, value)) = assignment(body) {
            current.clear();
            let value = value.trim().to_string();
            match op {
                "?=" => {
                    m.conditional.entry(name.clone()).or_insert(value);
                }
                "+=" => {
                    let old = m.vars.get(&name).or(m.conditional.get(&name)).cloned().unwrap_or_default();
                    m.vars.insert(name, format!("{old} {value}").trim().to_string());
                }
                _ => {
                    m.vars.insert(name, value);
                }
            }
            continue;
        }
        if let Some((targets, prereqs)) = trimmed.split_once(':') {
            if prereqs.starts_with('=') {
                continue;
            }
            let prereqs = prereqs.split(';').next().unwrap_or("").split('#').next().unwrap_or("");
            current = targets.split_whitespace().map(String::from).collect();
            for t in &current {
                if !t.starts_with('.') && m.default.is_none() && !t.contains('%') {
                    m.default = Some(t.clone());
                }
                let entry = m.rules.entry(t.clone()).or_default();
                entry.0.extend(prereqs.split_whitespace().map(String::from));
            }
        }
    }
    m
}

/// `NAME op value` for the assignment operators of GNU make.
fn assignment(line: &str) -> Option<(String, &'static str, &str)> {
    for op in ["::=", ":=", "?=", "+=", "!=", "="] {
        if let Some(i) = line.find(op) {
            let name = line[..i].trim();
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
            // `a: b=c` is a rule with a target-specific variable, not an assignment.
            if valid && !line[..i].contains(':') {
                let op: &'static str = op;
                return Some((name.to_string(), op, &line[i + op.len()..]));
            }
        }
    }
    None
}

impl Makefile {
    /// The recipes `make TARGET` runs (prerequisites first), with variables expanded.
    /// `overrides` are `VAR=value` from the command line, `env` the step's environment.
    pub fn script(&self, target: &str, overrides: &BTreeMap<String, String>, env: &BTreeMap<String, String>) -> String {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        self.collect(target, 0, &mut seen, &mut out);
        // Self-referencing variables can grow exponentially: a budget of lookups bounds the work.
        let mut budget = 10_000;
        out.iter().map(|l| self.expand(l, overrides, env, 0, &mut budget)).collect::<Vec<_>>().join("\n")
    }

    fn collect(&self, target: &str, depth: usize, seen: &mut Vec<String>, out: &mut Vec<String>) {
        if depth > MAX_DEPTH || seen.iter().any(|s| s == target) {
            return;
        }
        seen.push(target.to_string());
        let Some((prereqs, recipe)) = self.rules.get(target) else { return };
        for p in prereqs {
            self.collect(p, depth + 1, seen, out);
        }
        out.extend(recipe.iter().cloned());
    }

    fn value(
        &self,
        name: &str,
        overrides: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> Option<String> {
        overrides
            .get(name)
            .or_else(|| self.vars.get(name))
            .or_else(|| env.get(name))
            .or_else(|| self.conditional.get(name))
            .cloned()
    }

    /// Expands `$(VAR)`, `${VAR}` and `$$`. Functions and unknown variables become
    /// `shell::UNKNOWN`, so that what depends on them is unknown, not guessed.
    fn expand(
        &self,
        text: &str,
        overrides: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
        depth: usize,
        budget: &mut usize,
    ) -> String {
        if depth > 16 || *budget == 0 {
            return crate::shell::UNKNOWN.to_string();
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (close, open) = match after.chars().next() {
                Some('$') => {
                    out.push('$');
                    rest = &after[1..];
                    continue;
                }
                Some('(') => (')', '('),
                Some('{') => ('}', '{'),
                _ => {
                    // `$x` is a one-letter make variable; automatic ones ($@, $<) are unknown.
                    let n = after.chars().next().map_or(0, char::len_utf8);
                    out.push_str(crate::shell::UNKNOWN);
                    rest = &after[n..];
                    continue;
                }
            };
            // The matching close, counting nested opens.
            let mut level = 0;
            let mut end = None;
            for (j, c) in after.char_indices() {
                if c == open {
                    level += 1;
                } else if c == close {
                    level -= 1;
                    if level == 0 {
                        end = Some(j);
                        break;
                    }
                }
            }
            let Some(end) = end else {
                out.push_str(crate::shell::UNKNOWN);
                break;
            };
            let inner = &after[1..end];
            *budget = budget.saturating_sub(1);
            let name = self.expand(inner, overrides, env, depth + 1, budget);
            if name.contains(' ') || name.contains(crate::shell::UNKNOWN) {
                out.push_str(crate::shell::UNKNOWN);
            } else {
                match self.value(&name, overrides, env) {
                    Some(v) => out.push_str(&self.expand(&v, overrides, env, depth + 1, budget)),
                    None => out.push_str(crate::shell::UNKNOWN),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBEBUILDER: &str = "IMG ?= controller:latest
PLATFORMS ?= linux/arm64,linux/amd64,linux/s390x,linux/ppc64le
CONTAINER_TOOL ?= docker

.PHONY: all
all: build

build: fmt
\tgo build -o bin/manager cmd/main.go

fmt:
\tgo fmt ./...

.PHONY: docker-buildx
docker-buildx: ## Build and push for cross-platform support
\t# copy existing Dockerfile and insert --platform=${BUILDPLATFORM} into Dockerfile.cross
\tsed -e '1 s/\\(^FROM\\)/FROM --platform=\\$$\\{BUILDPLATFORM\\}/; t' Dockerfile > Dockerfile.cross
\t- $(CONTAINER_TOOL) buildx create --name builder
\t$(CONTAINER_TOOL) buildx use builder
\t- $(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) --tag ${IMG} -f Dockerfile.cross .
\t- $(CONTAINER_TOOL) buildx rm builder
";

    #[test]
    fn kubebuilder_docker_buildx() {
        let m = parse(KUBEBUILDER);
        assert_eq!(m.default.as_deref(), Some("all"));
        let script = m.script("docker-buildx", &BTreeMap::new(), &BTreeMap::new());
        let read = crate::shell::read(&script, &BTreeMap::new());
        assert_eq!(read.builds.len(), 1, "{script}");
        let b = &read.builds[0];
        assert_eq!(
            b.platforms,
            Some(Ok(vec!["linux/arm64".into(), "linux/amd64".into(), "linux/s390x".into(), "linux/ppc64le".into()]))
        );
        assert!(b.push);
        // Command line beats the file; the environment beats `?=` only.
        let over: BTreeMap<String, String> = [("PLATFORMS".to_string(), "linux/amd64".to_string())].into();
        let read = crate::shell::read(&m.script("docker-buildx", &over, &BTreeMap::new()), &BTreeMap::new());
        assert_eq!(read.builds[0].platforms, Some(Ok(vec!["linux/amd64".into()])));
        let read = crate::shell::read(&m.script("docker-buildx", &BTreeMap::new(), &over), &BTreeMap::new());
        assert_eq!(read.builds[0].platforms, Some(Ok(vec!["linux/amd64".into()])));
    }

    #[test]
    fn functions_and_loops_are_unknown() {
        let m =
            parse("P := $(shell cat platforms)\nimg:\n\tdocker buildx build --platform $(P) .\nloop: loop\n\techo\n");
        let read = crate::shell::read(&m.script("img", &BTreeMap::new(), &BTreeMap::new()), &BTreeMap::new());
        assert!(matches!(read.builds[0].platforms, Some(Err(_))), "{:?}", read.builds);
        assert_eq!(m.script("loop", &BTreeMap::new(), &BTreeMap::new()), "echo");
        let deep = parse(&format!("A = {}\nx:\n\t$(A)\n", "$(A)".repeat(8)));
        assert!(deep.script("x", &BTreeMap::new(), &BTreeMap::new()).contains(crate::shell::UNKNOWN));
    }
}
