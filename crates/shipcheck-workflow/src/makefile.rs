//! Make targets that build images: `run: make docker-buildx` is followed into the Makefile, as
//! far as a reader of Make can without running it. Variables (`=`, `:=`, `::=`, `?=`, `+=`,
//! `export`, `override`), command-line overrides and the environment are applied; `$(shell …)`
//! and other functions are unknown. Recipes of the target and its prerequisites are returned as
//! one script for `shell::read`.

use std::collections::BTreeMap;

/// How deep prerequisites are followed.
const MAX_DEPTH: usize = 4;

/// A rule's prerequisites and recipe lines.
type Rule = (Vec<String>, Vec<String>);

#[derive(Debug, Default)]
pub struct Makefile {
    vars: BTreeMap<String, String>,
    /// Variables set with `?=`: the environment wins over them.
    conditional: BTreeMap<String, String>,
    rules: BTreeMap<String, Rule>,
    /// Target-specific variables (`image: export PLATFORMS := linux/amd64`): name, value, and
    /// whether `export` passes it to the recipes' environment (and so to a sub-`make`).
    target_vars: BTreeMap<String, Vec<(String, String, bool)>>,
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
            // `target: [export] VAR := value` sets a target-specific variable; it adds no
            // prerequisite. `+=` and `?=` are read as `=` (a simplification).
            let spec = prereqs.trim();
            let exported = spec.starts_with("export ");
            let spec = spec.strip_prefix("export ").or_else(|| spec.strip_prefix("override ")).unwrap_or(spec);
            if let Some((name, _, value)) = assignment(spec) {
                current = targets.split_whitespace().map(String::from).collect();
                for t in &current {
                    m.target_vars.entry(t.clone()).or_default().push((
                        name.clone(),
                        value.trim().to_string(),
                        exported,
                    ));
                }
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

/// Replaces the automatic variables a recipe can know before it runs: `$@` (the target) and
/// `$*` (the stem of a pattern rule), in their `$X`, `$(X)` and `${X}` spellings. `$$` stays.
fn automatic(line: &str, target: &str, stem: Option<&str>) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = match after.as_bytes() {
            [b'$', ..] => (None, 1),
            [c @ (b'@' | b'*'), ..] => (Some(*c), 1),
            [b'(' | b'{', c @ (b'@' | b'*'), b')' | b'}', ..] => (Some(*c), 3),
            _ => (None, 0),
        };
        let value = match name {
            Some(b'@') => Some(target),
            Some(_) => stem,
            None => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => {
                out.push('$');
                out.push_str(&after[..len]);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
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
        // Each recipe line sees the variables of the target it belongs to.
        out.iter()
            .map(|(t, l)| self.expand(l, &self.with_target_vars(t, overrides), env, 0, &mut budget))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The target's own variables under the command line's: they win over the file's.
    fn with_target_vars(&self, target: &str, overrides: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all: BTreeMap<String, String> =
            self.target_vars.get(target).into_iter().flatten().map(|(n, v, _)| (n.clone(), v.clone())).collect();
        all.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        all
    }

    /// The target-specific variables `make TARGET` exports to its recipes' environment,
    /// expanded: what a sub-`make` in the recipe sees.
    pub fn exports(
        &self,
        target: &str,
        overrides: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut budget = 10_000;
        let mut lines = Vec::new();
        let mut seen = Vec::new();
        self.collect(target, 0, &mut seen, &mut lines);
        // The recipes are read as one script, so what any target of the chain exports is
        // taken as exported to all of it (a simplification).
        let mut out = BTreeMap::new();
        for t in seen {
            let all = self.with_target_vars(&t, overrides);
            for (n, v, exported) in self.target_vars.get(&t).into_iter().flatten() {
                if *exported {
                    out.insert(n.clone(), self.expand(v, &all, env, 0, &mut budget));
                }
            }
        }
        out
    }

    fn collect(&self, target: &str, depth: usize, seen: &mut Vec<String>, out: &mut Vec<(String, String)>) {
        if depth > MAX_DEPTH || seen.iter().any(|s| s == target) {
            return;
        }
        seen.push(target.to_string());
        // An explicit rule with a recipe wins; else the pattern rule (`image-%:`) whose stem
        // is shortest, as GNU make chooses (GNU make manual, "How Patterns Match").
        let explicit = self.rules.get(target).filter(|(_, r)| !r.is_empty());
        let (stem, (prereqs, recipe)) = match explicit {
            Some(rule) => (None, rule),
            None => match self.pattern(target) {
                Some((stem, rule)) => (Some(stem), rule),
                None => match self.rules.get(target) {
                    Some(rule) => (None, rule),
                    None => return,
                },
            },
        };
        for p in prereqs {
            let p = match &stem {
                Some(stem) => p.replacen('%', stem, 1),
                None => p.clone(),
            };
            self.collect(&p, depth + 1, seen, out);
        }
        out.extend(recipe.iter().map(|line| (target.to_string(), automatic(line, target, stem.as_deref()))));
    }

    /// The pattern rule (with a recipe) that `target` matches, with its stem.
    fn pattern(&self, target: &str) -> Option<(String, &Rule)> {
        self.rules
            .iter()
            .filter(|(name, rule)| name.contains('%') && !rule.1.is_empty())
            .filter_map(|(name, rule)| {
                let (before, after) = name.split_once('%')?;
                let stem = target.strip_prefix(before)?.strip_suffix(after)?;
                (!stem.is_empty()).then(|| (stem.to_string(), rule))
            })
            .min_by_key(|(stem, _)| stem.len())
    }

    fn value(
        &self,
        name: &str,
        overrides: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> Option<String> {
        // `$(MAKE)` runs make again (GNU make's built-in default).
        if name == "MAKE" && !overrides.contains_key(name) && !self.vars.contains_key(name) {
            return Some("make".into());
        }
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

    #[test]
    fn pattern_rules_and_target_variables() {
        // traefik's Makefile, in short: a pattern rule, and targets that export what it reads.
        let m = parse(
            "PLATFORMS ?= linux/amd64,linux/arm64\nGOARCH := $(shell go env GOARCH)\n\nmulti-arch-image-%: bin-%\n\tdocker buildx build $(ARGS) -t app:$* --platform=$(PLATFORMS) .\nbin-%:\n\techo $@\nbuild-image: export PLATFORMS := linux/$(GOARCH)\nbuild-image: export ARGS := --load\nbuild-image:\n\t@$(MAKE) multi-arch-image-latest\n",
        );
        let none = BTreeMap::new();
        let script = m.script("multi-arch-image-v3", &none, &none);
        assert!(script.starts_with("echo bin-v3\n"), "{script}");
        let read = crate::shell::read(&script, &none);
        assert_eq!(read.builds[0].platforms, Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into()])));
        // The sub-make sees what build-image exports: an unknown GOARCH stays unknown.
        assert_eq!(m.script("build-image", &none, &none), "make multi-arch-image-latest");
        let exports = m.exports("build-image", &none, &none);
        assert_eq!(exports.get("ARGS").map(String::as_str), Some("--load"));
        let sub = m.script("multi-arch-image-latest", &none, &exports);
        let read = crate::shell::read(&sub, &exports);
        assert!(read.builds[0].load);
        assert!(matches!(read.builds[0].platforms, Some(Err(_))), "{sub}");
        // A target-specific variable is not a prerequisite; `$$@` stays the shell's.
        let m = parse("x: V := 1\nx:\n\techo $$@ $(V)\n");
        assert_eq!(m.script("x", &none, &none), "echo $@ 1");
    }
}
