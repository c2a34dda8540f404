//! Image builds, pushes and QEMU set-up in `run:` scripts.
//!
//! This is not a shell interpreter: it splits the script into simple commands (joining `\`
//! continuations, cutting at `;`, `&&`, `||`, `|`) and reads the words of the ones it knows.
//! A value it cannot read (a shell variable it has no value for, command substitution, an
//! unknown expression) makes that value unknown, never guessed.

use std::collections::BTreeMap;

/// Stands in for a `${{ … }}` expression that could not be evaluated.
pub const UNKNOWN: &str = "\u{0}unknown\u{0}";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShellBuild {
    /// `docker buildx build`, `podman build`, `buildah bud`, `docker buildx bake`, …
    pub tool: String,
    /// `None`: no `--platform` (the runner's native platform). `Some(Err(text))`: unreadable.
    pub platforms: Option<Result<Vec<String>, String>>,
    pub push: bool,
    pub load: bool,
    pub gha_cache: bool,
    pub context: Option<String>,
    pub file: Option<String>,
    /// Bake targets named on the command line.
    pub targets: Vec<String>,
    /// Line of the command within the script, 0-based.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Script {
    pub builds: Vec<ShellBuild>,
    /// `docker push`, `podman push`, `buildah push`, `skopeo copy`.
    pub pushes: bool,
    /// Emulators installed: `Some(None)` means all of them, `Some(Some(list))` these platforms.
    pub qemu: Option<Option<Vec<String>>>,
    /// `docker buildx create --append` or `--platform`: a builder with native nodes elsewhere.
    pub multi_node: bool,
    /// `goreleaser …` invocations: their arguments after `goreleaser`, and their 0-based line.
    pub goreleaser: Vec<(String, usize)>,
    /// `make …` invocations: their words after `make`, and their 0-based line.
    pub make: Vec<(Vec<String>, usize)>,
    /// Script files the script runs (`./build.sh`, `bash hack/image.sh`, `source x.sh`).
    pub scripts: Vec<ScriptCall>,
    /// `docker compose … build`, `docker-compose … build`, `podman-compose … build` and
    /// `… up --build`: their words after `compose`, and their 0-based line.
    pub compose: Vec<(Vec<String>, usize)>,
}

/// A script file run by a script, with the variables its command line sets for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScriptCall {
    /// As written (relative to the working directory), variables expanded.
    pub path: String,
    /// `VAR=value` written before the command (`PUSH=true ./build_docker.sh`).
    pub env: BTreeMap<String, String>,
    pub line: usize,
}

/// Values of one `for NAME in …` loop expanded at most: a longer list leaves the loop
/// variable unknown instead of multiplying the work.
pub const MAX_LOOP_VALUES: usize = 64;
/// Commands read per script at most, loop iterations included.
pub const MAX_COMMANDS: usize = 20_000;
/// Loops inside loops followed at most; deeper ones are not read (a hostile script of
/// thousands of nested loops must not exhaust the stack).
pub const MAX_LOOP_NESTING: usize = 16;

/// Reads a script. `env` holds the variables known from `env:` blocks.
///
/// `for NAME in WORDS; do …; done` runs its body once per word with `$NAME` set (at most
/// [`MAX_LOOP_VALUES`] words, none of them unknown): the per-architecture loop of
/// `for arch in amd64 arm64; do docker build --platform=$arch …; done` is one build per
/// architecture. A loop over something unknown (`$(ls)`, an unset variable, a glob) reads its
/// body once with `$NAME` unknown.
pub fn read(script: &str, env: &BTreeMap<String, String>) -> Script {
    let mut out = Script::default();
    let mut budget = MAX_COMMANDS;
    block(&commands(script), env, &mut out, &mut budget, 0);
    out
}

/// Shell keywords that open a loop closed by `done`.
fn opens_loop(words: &[String]) -> bool {
    matches!(first_word(words), Some("for" | "while" | "until" | "select"))
}

/// The first word after the keywords that only join commands (`do`, `then`, `else`, `{`, `!`).
fn first_word(words: &[String]) -> Option<&str> {
    words.iter().map(String::as_str).find(|w| !matches!(*w, "do" | "then" | "else" | "{" | "!"))
}

fn block(
    cmds: &[(usize, Vec<String>)],
    env: &BTreeMap<String, String>,
    out: &mut Script,
    budget: &mut usize,
    nesting: usize,
) {
    let mut i = 0;
    while i < cmds.len() {
        if *budget == 0 {
            return;
        }
        let (line, raw) = &cmds[i];
        if !opens_loop(raw) {
            *budget -= 1;
            command(*line, raw, env, out);
            i += 1;
            continue;
        }
        if nesting >= MAX_LOOP_NESTING {
            return;
        }
        // The body runs to the matching `done` (or to the end of an unclosed script).
        let mut depth = 0;
        let mut end = cmds.len();
        for (j, (_, words)) in cmds.iter().enumerate().skip(i) {
            if opens_loop(words) {
                depth += 1;
            } else if first_word(words) == Some("done") {
                depth -= 1;
                if depth == 0 {
                    end = j;
                    break;
                }
            }
        }
        let body = &cmds[i + 1..end];
        let words: Vec<&str> = raw.iter().map(String::as_str).skip_while(|w| *w != "for").collect();
        let name = words.get(1).copied().unwrap_or("");
        let values = (words.get(2) == Some(&"in")).then(|| loop_values(&words[3..], env)).flatten();
        let mut inner = env.clone();
        match values {
            Some(values) if !name.is_empty() => {
                for v in values {
                    inner.insert(name.to_string(), v);
                    block(body, &inner, out, budget, nesting + 1);
                }
            }
            _ => {
                // `while`, `for x; do`, or a list that cannot be read: the variable is unknown,
                // and so are those `while read A B` sets.
                inner.remove(name);
                let read_vars = raw.iter().skip_while(|w| *w != "read").skip(1).take_while(|w| !w.starts_with('-'));
                for v in read_vars {
                    inner.remove(v);
                }
                block(body, &inner, out, budget, nesting + 1);
            }
        }
        i = end + 1;
    }
}

/// The words of `for NAME in WORDS`, expanded and split as the shell splits an unquoted
/// expansion; `None` when one is unknown or a glob, or there are too many.
fn loop_values(words: &[&str], env: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for w in words {
        let v = expand(w, env);
        if v.contains('$') || v.contains('`') || v.contains(UNKNOWN) || v.contains(['*', '?', '[']) {
            return None;
        }
        out.extend(v.split_whitespace().map(String::from));
    }
    (out.len() <= MAX_LOOP_VALUES).then_some(out)
}

/// One simple command.
fn command(line: usize, raw: &[String], env: &BTreeMap<String, String>, out: &mut Script) {
    let words: Vec<String> = raw.iter().map(|w| expand(w, env)).collect();
    let prefix = prefix_env(&words);
    let words = strip_prefixes(&words);
    if words.is_empty() {
        return;
    }
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let sub = |n: usize| w.get(n).copied().unwrap_or("");
    match (sub(0), sub(1), sub(2)) {
        ("docker", "buildx", "build" | "b") | ("podman", "buildx", "build") => {
            out.builds.push(build(&w[3..], &format!("{} buildx build", w[0]), line))
        }
        ("docker", "buildx", "bake") => out.builds.push(build(&w[3..], "docker buildx bake", line)),
        ("docker", "image", "build") => out.builds.push(build(&w[3..], "docker image build", line)),
        ("docker" | "podman", "build", _) | ("buildah", "bud" | "build", _) => {
            out.builds.push(build(&w[2..], &format!("{} {}", w[0], w[1]), line))
        }
        ("docker" | "podman" | "buildah", "push", _) | ("docker", "image", "push") | ("skopeo", "copy", _) => {
            out.pushes = true
        }
        // A manifest list assembles images built one platform at a time; pushing it publishes.
        ("docker" | "podman" | "buildah", "manifest", "push") => out.pushes = true,
        ("docker", "buildx", "imagetools") if w.contains(&"create") && !w.contains(&"--dry-run") => out.pushes = true,
        ("goreleaser", _, _) => out.goreleaser.push((w[1..].join(" "), line)),
        ("make" | "gmake", _, _) => out.make.push((w[1..].iter().map(|s| s.to_string()).collect(), line)),
        ("ko", "build" | "publish" | "resolve" | "apply" | "create", _) => {
            let mut b = build(&w[2..], "ko build", line);
            // ko pushes unless told to build locally.
            b.push = !w.iter().any(|x| matches!(*x, "--push=false" | "--local" | "-L" | "--local=true"));
            out.builds.push(b)
        }
        ("docker", "buildx", "create") if w.iter().any(|x| *x == "--append" || x.starts_with("--platform")) => {
            out.multi_node = true
        }
        ("docker" | "podman", "compose", _) => compose(&w[2..], line, out),
        ("docker-compose" | "podman-compose", _, _) => compose(&w[1..], line, out),
        _ => {
            if let Some(path) = script_path(&w) {
                out.scripts.push(ScriptCall { path: path.to_string(), env: prefix, line });
            }
        }
    }
    qemu(&w, out);
}

/// `compose [-f FILE]… build|up --build …`: kept with its words when it builds.
fn compose(args: &[&str], line: usize, out: &mut Script) {
    let mut i = 0;
    // Global options before the subcommand; those that take a value skip it.
    while i < args.len() && args[i].starts_with('-') {
        let takes = matches!(
            args[i],
            "-f" | "--file" | "-p" | "--project-name" | "--project-directory" | "--env-file" | "--profile"
        );
        i += if takes { 2 } else { 1 };
    }
    let builds = match args.get(i) {
        Some(&"build") => true,
        Some(&"up" | &"run" | &"create") => args[i..].contains(&"--build"),
        _ => false,
    };
    if builds {
        out.compose.push((args.iter().map(|s| s.to_string()).collect(), line));
    }
    if args.get(i) == Some(&"push") {
        out.pushes = true;
    }
}

/// The script file a command runs: `./x.sh`, `hack/x.sh`, `bash [-opts] x.sh`, `sh x`,
/// `source x.sh`, `. x.sh`. A name on `$PATH` (`foo.sh` with no directory) is not a file of
/// the repository, but a relative path ending in `.sh` is.
fn script_path<'w>(w: &[&'w str]) -> Option<&'w str> {
    let first = *w.first()?;
    // `bash -c '…'` runs a string, not a file.
    if w.contains(&"-c") && matches!(first, "bash" | "sh" | "zsh") {
        return None;
    }
    let path = match first {
        "bash" | "sh" | "zsh" | "source" | "." => w[1..].iter().copied().find(|a| !a.starts_with('-'))?,
        _ => first,
    };
    let shell_run = matches!(first, "bash" | "sh" | "zsh" | "source" | ".");
    let looks = path.ends_with(".sh") || path.ends_with(".bash") || (shell_run && !path.starts_with('-'));
    let relative = path.starts_with("./") || path.contains('/') || shell_run;
    let plain = !path.starts_with('/') && !path.contains(['$', '`', ' ', '\t']) && !path.contains(UNKNOWN);
    (looks && relative && plain).then_some(path)
}

/// `VAR=value` words written before a command.
fn prefix_env(words: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for w in words {
        match w.split_once('=') {
            Some((k, v)) if is_name(k) => {
                out.insert(k.to_string(), v.to_string());
            }
            _ if matches!(w.as_str(), "do" | "then" | "else" | "{" | "!" | "env" | "sudo") => {}
            _ => break,
        }
    }
    out
}

fn is_name(k: &str) -> bool {
    !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit())
}

fn qemu(w: &[&str], out: &mut Script) {
    let all = |out: &mut Script| out.qemu = Some(None);
    if w.iter().any(|x| x.contains("multiarch/qemu-user-static") || x.contains("docker/binfmt")) {
        all(out);
    } else if w.iter().any(|x| x.contains("tonistiigi/binfmt")) {
        let install = w.iter().position(|x| *x == "--install").and_then(|i| w.get(i + 1));
        match install.map(|v| v.to_ascii_lowercase()) {
            Some(v) if v != "all" => {
                let mut list = out.qemu.clone().flatten().unwrap_or_default();
                list.extend(crate::platform::split_list(&v));
                if out.qemu != Some(None) {
                    out.qemu = Some(Some(list));
                }
            }
            Some(_) => all(out),
            None => {}
        }
    } else if matches!(w.first(), Some(&("apt-get" | "apt" | "dnf" | "yum" | "apk")))
        && w.iter().any(|x| x.starts_with("qemu-user-static") || *x == "qemu-user-binfmt")
    {
        all(out);
    }
}

/// Flags of build commands that take a separate value (all others are switches).
const VALUED: &[&str] = &[
    "-t",
    "--tag",
    "-f",
    "--file",
    "--build-arg",
    "--target",
    "--label",
    "--secret",
    "--ssh",
    "--cache-from",
    "--cache-to",
    "-o",
    "--output",
    "--platform",
    "--progress",
    "--builder",
    "--iidfile",
    "--metadata-file",
    "--network",
    "--add-host",
    "--build-context",
    "--allow",
    "--attest",
    "--shm-size",
    "--ulimit",
    "--annotation",
    "--set",
    "--jobs",
    "--format",
    "--arch",
    "--os",
    "--variant",
    "--authfile",
    "--creds",
    "--manifest",
    "--isolation",
    "--cgroup-parent",
    "--memory",
    "-m",
    "--cpu-shares",
    "--call",
    "--check",
];

fn build(args: &[&str], tool: &str, line: usize) -> ShellBuild {
    let mut b = ShellBuild { tool: tool.to_string(), line, ..Default::default() };
    let mut platforms: Vec<String> = Vec::new();
    let mut unreadable: Option<String> = None;
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        let (flag, value) = match a.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v.to_string())),
            _ if a.starts_with('-') && VALUED.contains(&a) => {
                i += 1;
                (a, args.get(i).map(|v| v.to_string()))
            }
            _ => (a, None),
        };
        i += 1;
        let value = value.unwrap_or_default();
        match flag {
            "--platform" | "--arch" => {
                let v = if flag == "--arch" { format!("linux/{value}") } else { value.clone() };
                // `all` (ko) means every platform the base image has: unknown here.
                if v.contains(UNKNOWN) || v.contains('$') || v.contains('`') || value.trim() == "all" {
                    unreadable = Some(value.replace(UNKNOWN, "${{ … }}"));
                } else {
                    platforms.extend(crate::platform::split_list(&v));
                }
            }
            "--set" => {
                if let Some((key, v)) = value.split_once('=') {
                    if key.ends_with(".platform") {
                        if v.contains(UNKNOWN) || v.contains('$') {
                            unreadable = Some(v.replace(UNKNOWN, "${{ … }}"));
                        } else {
                            platforms.extend(crate::platform::split_list(v));
                        }
                    } else if (key.ends_with(".cache-to") || key.ends_with(".cache-from")) && v.contains("type=gha") {
                        b.gha_cache = true;
                    } else if key.ends_with(".output") && v.contains("type=registry") {
                        b.push = true;
                    }
                }
            }
            "--push" => b.push = true,
            "--load" => b.load = true,
            "-o" | "--output" => {
                if value.contains("type=registry") || value.contains("push=true") {
                    b.push = true;
                }
                if value == "type=docker" || value.starts_with("type=docker,") {
                    b.load = true;
                }
            }
            "--cache-from" | "--cache-to" if value.contains("type=gha") => b.gha_cache = true,
            "-f" | "--file" => b.file = Some(value),
            _ if !flag.starts_with('-') => positional.push(a.to_string()),
            _ => {}
        }
    }
    b.platforms = match (unreadable, platforms.is_empty()) {
        (Some(text), _) => Some(Err(text)),
        (None, true) => None,
        (None, false) => Some(Ok(platforms)),
    };
    if tool.ends_with("bake") {
        b.targets = positional;
    } else {
        b.context = positional.last().cloned();
    }
    b
}

/// Drops what runs a command without changing it: `sudo`, `time`, `env`, `VAR=value` prefixes.
fn strip_prefixes(words: &[String]) -> Vec<String> {
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let assignment = w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.starts_with('-')
        });
        // `do`, `then`, `else`, `{`, `!` only join a command to a compound one.
        let keyword = matches!(w.as_str(), "do" | "then" | "else" | "{" | "!");
        if matches!(w.as_str(), "sudo" | "time" | "env" | "exec" | "command" | "nohup") || assignment || keyword {
            i += 1;
        } else {
            break;
        }
    }
    words[i..].to_vec()
}

/// Expands `$NAME` and `${NAME}` from known variables; anything else stays as written.
fn expand(word: &str, env: &BTreeMap<String, String>) -> String {
    if !word.contains('$') {
        return word.to_string();
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        match env.get(name) {
            Some(v) if len > 0 => out.push_str(v),
            _ => {
                out.push('$');
                out.push_str(&after[..len]);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// Splits a script into simple commands of words, each with the 0-based line it starts on.
fn commands(script: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut line = 0;
    let mut start = 0;
    let mut quote: Option<char> = None;
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    let flush_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' && i + 1 < chars.len() => {
                i += 1;
                if chars[i] == '\n' {
                    line += 1;
                } else {
                    word.push(chars[i]);
                }
            }
            Some(_) => word.push(c),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                '\\' if chars.get(i + 1) == Some(&'\n') => {
                    i += 1;
                    line += 1;
                }
                '\\' => {
                    if let Some(&n) = chars.get(i + 1) {
                        word.push(n);
                        in_word = true;
                        i += 1;
                    }
                }
                '#' if !in_word => {
                    while i + 1 < chars.len() && chars[i + 1] != '\n' {
                        i += 1;
                    }
                }
                ' ' | '\t' => flush_word(&mut word, &mut in_word, &mut words),
                '\n' | ';' | '&' | '|' | '(' | ')' => {
                    flush_word(&mut word, &mut in_word, &mut words);
                    if !words.is_empty() {
                        out.push((start, std::mem::take(&mut words)));
                    }
                    start = line;
                }
                _ => {
                    if !in_word && words.is_empty() {
                        start = line;
                    }
                    word.push(c);
                    in_word = true;
                }
            },
        }
        i += 1;
    }
    flush_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        out.push((start, words));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_buildx_with_continuations() {
        let s = read(
            "echo start\ndocker buildx build \\\n  --platform linux/amd64,linux/arm64 \\\n  --push -t x:y -f build/Dockerfile .\n",
            &env(&[]),
        );
        assert_eq!(s.builds.len(), 1);
        let b = &s.builds[0];
        assert_eq!(b.platforms, Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into()])));
        assert!(b.push && !b.load);
        assert_eq!((b.context.as_deref(), b.file.as_deref(), b.line), (Some("."), Some("build/Dockerfile"), 1));
    }

    #[test]
    fn known_variables_expand_and_unknown_ones_do_not() {
        let s = read("docker buildx build --platform=$PLATFORMS --load .", &env(&[("PLATFORMS", "linux/riscv64")]));
        assert_eq!(s.builds[0].platforms, Some(Ok(vec!["linux/riscv64".into()])));
        assert!(s.builds[0].load);
        let s = read("docker buildx build --platform \"$(cat platforms)\" .", &env(&[]));
        assert!(matches!(s.builds[0].platforms, Some(Err(_))));
        let s = read(&format!("podman build --platform {UNKNOWN} ."), &env(&[]));
        assert!(matches!(s.builds[0].platforms, Some(Err(_))));
    }

    #[test]
    fn other_tools_pushes_and_qemu() {
        let s = read(
            "sudo apt-get install -y qemu-user-static && buildah bud --arch arm64 -t x . ; buildah push x\n# docker build --platform linux/s390x .\n",
            &env(&[]),
        );
        assert_eq!(s.builds.len(), 1, "{s:?}");
        assert_eq!(s.builds[0].platforms, Some(Ok(vec!["linux/arm64".into()])));
        assert!(s.pushes);
        assert_eq!(s.qemu, Some(None));
        let s = read("docker run --privileged --rm tonistiigi/binfmt --install arm64,riscv64", &env(&[]));
        assert_eq!(s.qemu, Some(Some(vec!["arm64".into(), "riscv64".into()])));
        let s =
            read("docker buildx bake --set '*.platform=linux/arm64' --set *.cache-to=type=gha --push app", &env(&[]));
        let b = &s.builds[0];
        assert_eq!((b.push, b.gha_cache, b.targets.clone()), (true, true, vec!["app".to_string()]));
    }

    fn platforms(s: &Script) -> Vec<String> {
        s.builds.iter().flat_map(|b| b.platforms.clone().and_then(Result::ok).unwrap_or_default()).collect()
    }

    #[test]
    fn per_architecture_loops_build_once_per_value() {
        // As coredns's Makefile.docker writes it, after Make expansion.
        let script = "for arch in amd64 arm riscv64; do cp Dockerfile build/docker/${arch} ; if [ \"${arch}\" = \"riscv64\" ]; then ARGS=x; fi; DOCKER_BUILDKIT=1 docker build --platform=${arch} -t c:${arch} build/docker/${arch} ; done\ndocker manifest push c:1";
        let s = read(script, &env(&[]));
        assert_eq!(platforms(&s), ["amd64", "arm", "riscv64"]);
        assert_eq!(s.builds[2].context.as_deref(), Some("build/docker/riscv64"));
        assert!(s.pushes);
        // Values from a known variable are split as the shell splits them; nested loops multiply.
        let s = read(
            "for os in linux; do\n  for a in $ARCHES; do\n    docker buildx build --platform $os/$a .\n  done\ndone",
            &env(&[("ARCHES", "arm64 s390x")]),
        );
        assert_eq!(platforms(&s), ["linux/arm64", "linux/s390x"]);
        assert_eq!(s.builds[0].line, 2);
    }

    #[test]
    fn unknown_or_huge_loops_leave_the_variable_unknown() {
        for list in ["$(cat arches)", "$UNSET", "*/", &"a ".repeat(MAX_LOOP_VALUES + 1)] {
            let s = read(&format!("for arch in {list}; do docker build --platform=$arch .; done"), &env(&[]));
            assert_eq!(s.builds.len(), 1, "{list}");
            assert!(matches!(s.builds[0].platforms, Some(Err(_))), "{list}");
        }
        // An outer value of the same name does not leak into a loop that cannot be read.
        let s = read("while read arch; do docker build --platform=$arch .; done", &env(&[("arch", "arm64")]));
        assert!(matches!(s.builds[0].platforms, Some(Err(_))));
        // The work is bounded: loops in loops stop at MAX_COMMANDS.
        let many = "x ".repeat(MAX_LOOP_VALUES);
        let script =
            format!("for a in {many}; do for b in {many}; do for c in {many}; do docker build .; done; done; done");
        assert!(read(&script, &env(&[])).builds.len() <= MAX_COMMANDS);
        // Nesting is bounded too: 100,000 nested loops neither overflow the stack nor hang.
        let deep = format!("{}docker build .\n{}", "for a in x; do\n".repeat(100_000), "done\n".repeat(100_000));
        assert!(read(&deep, &env(&[])).builds.is_empty());
    }

    #[test]
    fn script_files_and_compose() {
        let s = read(
            "PUSH=true PLATFORM=linux/arm64 ./build_docker.sh\nbash -e hack/image.sh arg\nbash -c 'echo hi'\nmake.sh\n. ./env.sh\ndocker compose -f ci.yml build --push api\ndocker-compose up -d\n",
            &env(&[]),
        );
        let paths: Vec<&str> = s.scripts.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["./build_docker.sh", "hack/image.sh", "./env.sh"]);
        assert_eq!(s.scripts[0].env.get("PLATFORM").map(String::as_str), Some("linux/arm64"));
        assert_eq!(
            s.compose,
            [(vec!["-f".to_string(), "ci.yml".into(), "build".into(), "--push".into(), "api".into()], 5)]
        );
    }
}
