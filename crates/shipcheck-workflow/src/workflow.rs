//! What each workflow builds, on which platforms, under which event: GitHub Actions workflows
//! evaluated per trigger, with matrices expanded, `if:` conditions and expressions evaluated as
//! far as the repository tells, local reusable workflows and composite actions followed.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::expr::{self, Scope};
use crate::repo::{File, Repo};
use crate::yaml::Node;
use crate::{bake, platform, shell};

/// Builds outside the workflow YAML: scripts, Compose files, and what stays out of reach.
#[path = "outside.rs"]
mod outside;
pub use outside::Unseen;

/// How deep `uses:` of local workflows and composite actions is followed.
const MAX_DEPTH: usize = 6;
/// Matrix combinations evaluated per job at most (GitHub allows 256).
const MAX_COMBOS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    PullRequest,
    PostMerge,
}

/// How long a signed URL of the GitHub Actions cache stays valid, in minutes: BuildKit holds
/// the download URL from its first cache load, and it expires ten minutes after it was issued
/// (moby/buildkit#6053; mirrord#3210's 403 names a window of 22:26:21 to 22:36:26).
pub const CACHE_URL_MINUTES: f64 = 10.0;

/// Which events run a workflow before merge and which after, as the issue and GitHub define them.
pub fn classify(event: &str) -> Option<Class> {
    match event {
        "pull_request" | "pull_request_target" | "merge_group" => Some(Class::PullRequest),
        "push" | "release" | "workflow_dispatch" | "schedule" => Some(Class::PostMerge),
        _ => None,
    }
}

/// The runs of one trigger: its class and, for pull-request events, the value of
/// `github.event.pull_request.merged` in that run. `pull_request` with `types: [closed]` runs
/// when a pull request is closed, merged or not; the merged run is after merge (a release after
/// merge, not a pull-request build), the unmerged one tests nothing that will ship and is not
/// evaluated. Other activity types (the default `opened`, `synchronize`, `reopened`) run before
/// merge with `merged` false.
pub fn runs_of(event: &str, config: Option<&Node>) -> Vec<(Class, Option<bool>)> {
    if !matches!(event, "pull_request" | "pull_request_target") {
        return classify(event).map(|c| vec![(c, None)]).unwrap_or_default();
    }
    let types: Vec<String> = match config.and_then(|c| c.get("types")) {
        Some(t) if !t.items().is_empty() => t.items().iter().filter_map(|i| i.str().map(String::from)).collect(),
        Some(t) => t.str().map(|s| vec![s.to_string()]).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut runs = Vec::new();
    if types.is_empty() || types.iter().any(|t| t != "closed") {
        runs.push((Class::PullRequest, Some(false)));
    }
    if types.iter().any(|t| t == "closed") {
        runs.push((Class::PostMerge, Some(true)));
    }
    runs
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub artifact: String,
    pub line: u32,
    pub column: u32,
}

impl Loc {
    fn of(file: &File, node: &Node) -> Loc {
        Loc { artifact: file.artifact.clone(), line: node.line, column: node.column }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Platforms {
    /// Listed in the build (`platforms:`, `--platform`, a bake target).
    Explicit(Vec<String>),
    /// Not listed: the runner's native platform, when its label tells.
    Native(Option<String>),
    /// Written as something shipcheck cannot evaluate offline.
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct Build {
    /// The workflow whose trigger runs this build.
    pub workflow: String,
    pub job: String,
    pub event: String,
    pub class: Class,
    /// `docker/build-push-action`, `docker buildx build`, `bake target app`, …
    pub tool: String,
    pub platforms: Platforms,
    pub native: Option<String>,
    /// QEMU set up earlier in the job: `Some(None)` for all emulators.
    pub qemu: Option<Option<Vec<String>>>,
    /// The builder has nodes of other platforms (remote driver, appended nodes).
    pub multi_node: bool,
    pub load: bool,
    pub push: bool,
    pub job_pushes: bool,
    pub gha_cache: bool,
    /// The build imports a `type=gha` cache (`cache-from`), whose signed download URL BuildKit
    /// keeps from the start of the build.
    pub gha_import: bool,
    /// The build exports a cache to a backend other than gha (`cache-to` of another type). An
    /// export back to the gha cache loads fresh URLs and skips the blobs the cache already has.
    pub cache_export: bool,
    /// The shortest `timeout-minutes` of its job and step, when known (GitHub's default is 360).
    pub timeout_minutes: Option<f64>,
    /// Docker's containerd image store is enabled, which loads multi-platform images.
    pub containerd_store: bool,
    /// Whether a missing QEMU can be judged: not for GoReleaser, whose Dockerfiles usually
    /// only copy binaries built outside the image.
    pub judge_qemu: bool,
    /// The build's Dockerfile was read and runs nothing for the target platform: every `RUN`
    /// is in a stage on `$BUILDPLATFORM` (it cross-compiles), so no emulator is needed.
    pub cross_compiles: bool,
    pub context: Option<String>,
    pub file: Option<String>,
    /// Where the platforms are written (or the step, when they are not).
    pub at: Loc,
}

impl Build {
    /// The platforms this build produces, when known.
    pub fn known_platforms(&self) -> Option<Vec<String>> {
        match &self.platforms {
            Platforms::Explicit(list) => Some(list.iter().filter_map(|p| platform::normalize(p)).collect()),
            Platforms::Native(Some(p)) => Some(vec![p.clone()]),
            _ => None,
        }
    }

    /// The Dockerfile this build reads, relative to the repository root, when known.
    pub fn dockerfile(&self) -> Option<String> {
        let context = self.context.clone().unwrap_or_else(|| ".".into());
        if context.contains("://") || context.contains(shell::UNKNOWN) {
            return None;
        }
        let file = match &self.file {
            Some(f) if f.contains(shell::UNKNOWN) || f.contains('$') => return None,
            Some(f) => f.clone(),
            None => format!("{context}/Dockerfile"),
        };
        Repo::clean(&file)
    }
}

/// One workflow file as seen from its triggers.
#[derive(Debug, Clone)]
pub struct WorkflowInfo {
    pub artifact: String,
    pub events: Vec<String>,
    pub builds_images: bool,
    /// A commented-out `pull_request` trigger: its line and column.
    pub commented_pr_trigger: Option<(u32, u32)>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub workflows: Vec<WorkflowInfo>,
    pub builds: Vec<Build>,
    /// Workflow files that are not valid YAML: (artifact, line, column, message).
    pub invalid: Vec<(String, u32, u32, String)>,
    /// Builds the workflows may run that shipcheck cannot read (remote workflows, missing
    /// scripts, unreadable GoReleaser configurations).
    pub unseen: Vec<Unseen>,
}

/// Evaluates every workflow of the repository.
pub fn analyze(repo: &Repo) -> Analysis {
    let mut out = Analysis::default();
    for rel in repo.workflows() {
        let Some(file) = repo.yaml(&rel) else { continue };
        let doc = match &file.doc {
            Ok(Some(d)) => d.clone(),
            Ok(None) => continue,
            Err(e) => {
                out.invalid.push((file.artifact.clone(), e.line, e.column, e.message.clone()));
                continue;
            }
        };
        let events = triggers(&doc);
        let before = out.builds.len();
        for (event, config) in &events {
            for (class, merged) in runs_of(event, config.as_ref()) {
                let inputs = if event == "workflow_dispatch" { declared_inputs(config) } else { (json!({}), true) };
                let mut ev = Eval {
                    repo,
                    event,
                    class,
                    merged,
                    workflow: file.artifact.clone(),
                    builds: Vec::new(),
                    unseen: Vec::new(),
                    invalid: Vec::new(),
                };
                ev.workflow(&file, &doc, inputs, 0);
                out.builds.extend(ev.builds);
                out.unseen.extend(ev.unseen);
                out.invalid.extend(ev.invalid);
            }
        }
        for b in &mut out.builds[before..] {
            b.cross_compiles = b.dockerfile().and_then(|f| repo.text(&f)).is_some_and(|t| cross_compiles(&t));
        }
        // A workflow that only runs when called is judged through its callers; its builds
        // still count for "builds images".
        let builds_images = out.builds.len() > before || mentions_build(&file.text);
        out.workflows.push(WorkflowInfo {
            artifact: file.artifact.clone(),
            events: events.iter().map(|(e, _)| e.clone()).collect(),
            builds_images,
            commented_pr_trigger: commented_pr_trigger(&file.text),
        });
    }
    // A local action used by several workflows or runs is reported once.
    out.invalid.sort();
    out.invalid.dedup();
    out
}

fn mentions_build(text: &str) -> bool {
    ["docker/build-push-action", "docker/bake-action", "buildx build", "docker build", "podman build", "buildah"]
        .iter()
        .any(|k| text.contains(k))
}

/// The events of `on:` (string, list or mapping), each with its configuration node.
pub fn triggers(doc: &Node) -> Vec<(String, Option<Node>)> {
    let Some(on) = doc.get("on").or_else(|| doc.get("true")) else { return Vec::new() };
    if let Some(s) = on.str() {
        return vec![(s.to_string(), None)];
    }
    if !on.items().is_empty() {
        return on.items().iter().filter_map(|i| i.str().map(|s| (s.to_string(), None))).collect();
    }
    on.entries().iter().filter_map(|(k, v)| k.str().map(|s| (s.to_string(), Some(v.clone())))).collect()
}

/// A `# pull_request:` (or `# - pull_request`) comment: its line and the column of its `#`.
fn commented_pr_trigger(text: &str) -> Option<(u32, u32)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let body = line.trim_start().strip_prefix('#')?.trim();
        let body = body.strip_prefix('-').map(str::trim).unwrap_or(body);
        let word = body.trim_end_matches(':').trim_end_matches(|c: char| c == ':' || c.is_whitespace());
        let word = word.split(':').next().unwrap_or("").trim();
        (matches!(word, "pull_request" | "pull_request_target") && (body.ends_with(':') || body == word))
            .then_some((i as u32 + 1, (line.len() - line.trim_start().len()) as u32 + 1))
    })
}

/// Inputs of `workflow_dispatch` / `workflow_call` with their defaults. Complete when every
/// input has a default or is optional (an optional input without a default is empty).
fn declared_inputs(config: &Option<Node>) -> (Value, bool) {
    let mut map = Map::new();
    let mut complete = true;
    if let Some(inputs) = config.as_ref().and_then(|c| c.get("inputs")) {
        for (k, v) in inputs.entries() {
            let Some(name) = k.str() else { continue };
            match v.get("default").and_then(Node::str) {
                Some(d) => {
                    map.insert(name.to_string(), scalar(d, v.get("type").and_then(Node::str)));
                }
                None if v.get("required").and_then(Node::as_bool) == Some(true) => complete = false,
                None => {
                    map.insert(name.to_string(), Value::Null);
                }
            }
        }
    }
    (Value::Object(map), complete)
}

fn scalar(text: &str, ty: Option<&str>) -> Value {
    match ty {
        Some("boolean") => Value::Bool(text.eq_ignore_ascii_case("true")),
        Some("number") => text.parse::<f64>().map_or(Value::Null, expr::number_value),
        _ => Value::String(text.to_string()),
    }
}

/// A YAML node as an expression value (scalars stay strings, as GitHub reads matrix values).
fn to_value(node: &Node) -> Value {
    match &node.value {
        crate::yaml::Value::Scalar { text, quoted, .. } => match (text.as_str(), quoted) {
            ("true", false) => Value::Bool(true),
            ("false", false) => Value::Bool(false),
            ("null" | "~" | "", false) => Value::Null,
            (t, false) if t.parse::<i64>().is_ok() => Value::from(t.parse::<i64>().unwrap_or_default()),
            (t, false) if t.parse::<f64>().is_ok() => expr::number_value(t.parse::<f64>().unwrap_or_default()),
            (t, _) => Value::String(t.to_string()),
        },
        crate::yaml::Value::Seq(items) => Value::Array(items.iter().map(to_value).collect()),
        crate::yaml::Value::Map(entries) => {
            Value::Object(entries.iter().filter_map(|(k, v)| k.str().map(|k| (k.to_string(), to_value(v)))).collect())
        }
    }
}

/// Expands `strategy.matrix` as GitHub does: the product of its keys, minus `exclude` (partial
/// matches), then each `include` merged into every combination it does not contradict, or
/// added on its own. `None` when the matrix is an expression shipcheck cannot evaluate.
pub fn expand_matrix(matrix: &Node, scope: &Scope) -> Option<Vec<Map<String, Value>>> {
    let value = match matrix.str() {
        Some(s) => match expr::value(s, scope)? {
            Value::String(t) => serde_json::from_str::<Value>(&t).ok()?,
            v => v,
        },
        None => to_value(matrix),
    };
    let Value::Object(m) = value else { return None };
    // `include: ${{ fromJson(needs.….outputs.matrix) }}` is decided at run time: the whole
    // matrix is unknown, not empty.
    if ["include", "exclude"].iter().any(|k| m.get(*k).is_some_and(|v| !v.is_array())) {
        return None;
    }
    let mut combos: Vec<Map<String, Value>> = vec![Map::new()];
    let mut original_keys = Vec::new();
    for (k, v) in &m {
        if k == "include" || k == "exclude" {
            continue;
        }
        let values = match v {
            Value::Array(a) => a.clone(),
            Value::String(s) if s.contains("${{") => return None,
            _ => return None,
        };
        original_keys.push(k.clone());
        let mut next = Vec::new();
        for c in &combos {
            for val in &values {
                let mut c = c.clone();
                c.insert(k.clone(), val.clone());
                next.push(c);
                if next.len() > MAX_COMBOS {
                    return None;
                }
            }
        }
        combos = next;
    }
    if original_keys.is_empty() {
        combos.clear();
    }
    if let Some(Value::Array(ex)) = m.get("exclude") {
        combos
            .retain(|c| !ex.iter().any(|e| e.as_object().is_some_and(|e| e.iter().all(|(k, v)| c.get(k) == Some(v)))));
    }
    if let Some(Value::Array(inc)) = m.get("include") {
        let base = combos.clone();
        for e in inc.iter().filter_map(Value::as_object) {
            let mut merged = false;
            for (i, c) in base.iter().enumerate() {
                let fits = e.iter().all(|(k, v)| !original_keys.contains(k) || c.get(k) == Some(v));
                if fits {
                    for (k, v) in e {
                        combos[i].insert(k.clone(), v.clone());
                    }
                    merged = true;
                }
            }
            if !merged {
                combos.push(e.clone());
            }
        }
    }
    if combos.is_empty() {
        combos.push(Map::new());
    }
    combos.truncate(MAX_COMBOS);
    Some(combos)
}

/// One step being evaluated, with the scope and environment it sees.
#[derive(Clone, Copy)]
struct Step<'s> {
    file: &'s File,
    job: &'s str,
    step: &'s Node,
    scope: &'s Scope,
    env: &'s BTreeMap<String, String>,
    workdir: Option<&'s str>,
}

impl<'s> Step<'s> {
    /// A `with:` input, interpolated; `Err` holds it as written when it cannot be evaluated.
    fn input(&self, name: &str) -> Option<Result<String, String>> {
        let n = self.step.get("with")?.get(name)?;
        let raw = match n.str() {
            Some(s) => s.to_string(),
            None => return Some(Err(format!("{name} is not a string"))),
        };
        Some(expr::interpolate(&raw, self.scope).ok_or(raw))
    }

    fn with_node(&self, name: &str) -> Option<&'s Node> {
        self.step.get("with").and_then(|w| w.get(name))
    }
}

/// What a job has set up so far, for the builds that follow.
#[derive(Debug, Clone, Default)]
struct JobState {
    native: Option<String>,
    qemu: Option<Option<Vec<String>>>,
    multi_node: bool,
    containerd_store: bool,
    pushes: bool,
    /// `timeout-minutes` of the job, and the shortest of the step being evaluated and the steps
    /// (composite actions) around it.
    job_timeout: Option<f64>,
    step_timeout: Option<f64>,
    builds: Vec<Build>,
}

struct Eval<'a> {
    repo: &'a Repo,
    event: &'a str,
    class: Class,
    /// `github.event.pull_request.merged` in this run, for pull-request events.
    merged: Option<bool>,
    workflow: String,
    builds: Vec<Build>,
    unseen: Vec<Unseen>,
    /// Local actions a step uses that are not valid YAML (as [`Analysis::invalid`]).
    invalid: Vec<(String, u32, u32, String)>,
}

impl Eval<'_> {
    fn base_scope(&self, inputs: (Value, bool)) -> Scope {
        let mut s = Scope::default();
        let github = match self.merged {
            // The merged run of `types: [closed]` is the `closed` activity.
            Some(true) => {
                json!({ "event_name": self.event, "event": { "action": "closed", "pull_request": { "merged": true } } })
            }
            Some(false) => json!({ "event_name": self.event, "event": { "pull_request": { "merged": false } } }),
            None => json!({ "event_name": self.event }),
        };
        s.set("github", github, false);
        s.set("inputs", inputs.0, inputs.1);
        s.set("env", json!({}), false);
        s
    }

    fn workflow(&mut self, file: &File, doc: &Node, inputs: (Value, bool), depth: usize) {
        let mut scope = self.base_scope(inputs);
        let mut env = BTreeMap::new();
        add_env(&mut scope, &mut env, doc.get("env"));
        let Some(jobs) = doc.get("jobs") else { return };
        for (id, job) in jobs.entries() {
            let Some(id) = id.str() else { continue };
            self.job(file, id, job, &scope, &env, depth);
        }
    }

    fn job(&mut self, file: &File, id: &str, job: &Node, scope: &Scope, env: &BTreeMap<String, String>, depth: usize) {
        if job.get("if").and_then(Node::str).and_then(|c| expr::condition(c, scope)) == Some(false) {
            return;
        }
        let combos = match job.get("strategy").and_then(|s| s.get("matrix")) {
            Some(m) => expand_matrix(m, scope),
            None => Some(vec![Map::new()]),
        };
        let combos: Vec<(Value, bool)> = match combos {
            Some(c) => c.into_iter().map(|m| (Value::Object(m), true)).collect(),
            None => vec![(json!({}), false)],
        };
        for (matrix, complete) in combos {
            if !self.repo.spend() {
                return;
            }
            let mut scope = scope.clone();
            scope.set("matrix", matrix, complete);
            let mut env = env.clone();
            add_env(&mut scope, &mut env, job.get("env"));
            if let Some(uses) = job.get("uses").and_then(Node::str) {
                self.remote_workflow(file, job, uses);
                self.call_workflow(uses, job.get("with"), &scope, depth);
                continue;
            }
            let labels = runs_on(job.get("runs-on"), &scope);
            let mut state = JobState {
                native: labels.as_deref().and_then(platform::runner_platform).map(String::from),
                job_timeout: minutes(job.get("timeout-minutes"), &scope),
                ..Default::default()
            };
            let workdir = job
                .get("defaults")
                .and_then(|d| d.get("run"))
                .and_then(|r| r.get("working-directory"))
                .and_then(Node::str)
                .and_then(|w| expr::interpolate(w, &scope));
            if let Some(steps) = job.get("steps") {
                self.steps(file, id, steps, &scope, &env, workdir.as_deref(), &mut state, depth);
            }
            for mut b in state.builds {
                b.job_pushes = state.pushes;
                self.builds.push(b);
            }
        }
    }

    fn call_workflow(&mut self, uses: &str, with: Option<&Node>, scope: &Scope, depth: usize) {
        // Workflows of other repositories cannot be read offline.
        if !uses.starts_with("./") || depth >= MAX_DEPTH {
            return;
        }
        let Some(called) = self.repo.yaml(uses.split('@').next().unwrap_or(uses)) else { return };
        let Ok(Some(doc)) = &called.doc else { return };
        let config = triggers(doc).into_iter().find(|(e, _)| e == "workflow_call").and_then(|(_, c)| c);
        let (mut inputs, mut complete) = declared_inputs(&config);
        for (k, v) in with.map(Node::entries).unwrap_or_default() {
            let Some(k) = k.str() else { continue };
            let value = match v.str() {
                Some(s) if s.contains("${{") => match expr::interpolate(s, scope) {
                    Some(t) => Value::String(t),
                    None => {
                        if let Value::Object(m) = &mut inputs {
                            m.remove(k);
                        }
                        complete = false;
                        continue;
                    }
                },
                _ => to_value(v),
            };
            if let Value::Object(m) = &mut inputs {
                m.insert(k.to_string(), value);
            }
        }
        let doc = doc.clone();
        self.workflow(&called, &doc, (inputs, complete), depth + 1);
    }

    #[allow(clippy::too_many_arguments)]
    fn steps(
        &mut self,
        file: &File,
        job: &str,
        steps: &Node,
        scope: &Scope,
        env: &BTreeMap<String, String>,
        workdir: Option<&str>,
        state: &mut JobState,
        depth: usize,
    ) {
        for step in steps.items() {
            if step.get("if").and_then(Node::str).and_then(|c| expr::condition(c, scope)) == Some(false) {
                continue;
            }
            let mut scope = scope.clone();
            let mut env = env.clone();
            add_env(&mut scope, &mut env, step.get("env"));
            let ctx = Step { file, job, step, scope: &scope, env: &env, workdir };
            // A step inside a composite action is bounded by the step that uses the action too.
            let outer = state.step_timeout;
            state.step_timeout = shortest(outer, minutes(step.get("timeout-minutes"), &scope));
            if let Some(uses) = step.get("uses").and_then(Node::str) {
                self.uses_step(&ctx, uses, state, depth);
            }
            if let Some(run) = step.get("run") {
                self.run_step(&ctx, run, state);
            }
            state.step_timeout = outer;
        }
    }

    /// A `uses:` step: the known actions that set up emulation and builders, or build images.
    fn uses_step(&mut self, ctx: &Step, uses: &str, state: &mut JobState, depth: usize) {
        let Step { file, job, step, scope, env, workdir } = *ctx;
        let input = |name: &str| ctx.input(name);
        let with_node = |name: &str| ctx.with_node(name);
        let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
        let at = Loc::of(file, step.get("uses").unwrap_or(step));
        match action.as_str() {
            "docker/setup-qemu-action" => {
                state.qemu = match input("platforms") {
                    None => Some(None),
                    Some(Ok(p)) if p.trim().eq_ignore_ascii_case("all") || p.trim().is_empty() => Some(None),
                    Some(Ok(p)) => Some(Some(platform::split_list(&p))),
                    // An unreadable list: assume it covers what is needed rather than guess a gap.
                    Some(Err(_)) => Some(None),
                }
            }
            "docker/setup-buildx-action" => {
                let appended = with_node("append").is_some();
                let remote =
                    matches!(input("driver"), Some(Ok(d)) if d.trim() == "remote") || with_node("endpoint").is_some();
                state.multi_node |= appended || remote;
            }
            "docker/setup-docker-action" => {
                let config = input("daemon-config").and_then(Result::ok).unwrap_or_default();
                state.containerd_store |= config.contains("containerd-snapshotter");
            }
            // Depot takes build-push-action's inputs and builds each platform on a native machine.
            "docker/build-push-action" | "depot/build-push-action" => {
                state.multi_node |= action.starts_with("depot/");
                let flag = |name: &str| match input(name) {
                    Some(Ok(v)) => Some(v.trim().eq_ignore_ascii_case("true")),
                    Some(Err(_)) => None,
                    None => Some(false),
                };
                let outputs = input("outputs").and_then(Result::ok).unwrap_or_default();
                let caches = [input("cache-from"), input("cache-to")];
                // An unknown `push:` may push after merge; before merge it is judged not to.
                let push = flag("push").unwrap_or(self.class == Class::PostMerge)
                    || outputs.contains("type=registry")
                    || outputs.contains("push=true");
                let load = flag("load") == Some(true) || outputs.split(['\n', ',']).any(|o| o.trim() == "type=docker");
                let (platforms, at) = match (input("platforms"), with_node("platforms")) {
                    (Some(Ok(p)), Some(n)) if !p.trim().is_empty() => {
                        (Platforms::Explicit(platform::split_list(&p)), Loc::of(file, n))
                    }
                    (Some(Err(raw)), Some(n)) => (Platforms::Unknown(raw), Loc::of(file, n)),
                    _ => (Platforms::Native(state.native.clone()), at),
                };
                state.pushes |= push;
                self.add(state, job, "docker/build-push-action", platforms, at, |b| {
                    b.push = push;
                    b.load = load;
                    b.gha_cache = caches.iter().flatten().any(|c| match c {
                        Ok(t) | Err(t) => t.contains("type=gha"),
                    });
                    b.gha_import = matches!(&caches[0], Some(Ok(t) | Err(t)) if t.contains("type=gha"));
                    b.cache_export = matches!(&caches[1], Some(Ok(t) | Err(t)) if exports_elsewhere(t.lines()));
                    b.context = input("context").and_then(Result::ok);
                    b.file = input("file").and_then(Result::ok);
                });
            }
            "docker/bake-action" => {
                let files = input("files").and_then(Result::ok).map(|f| platform::split_list(&f));
                // An unknown `targets:` (or `source:`, or a `set:` that may set the platform)
                // stays unknown: it is not the default group.
                // `set:` lines are read one by one: an unknown cache scope does not hide a known
                // platform, an unknown platform is unknown.
                let set_lines: Vec<String> = match input("set") {
                    Some(Ok(s)) => s.lines().map(String::from).collect(),
                    Some(Err(raw)) => interpolate_lossy(&raw, scope).lines().map(String::from).collect(),
                    None => Vec::new(),
                };
                let unknown_platform = set_lines.iter().find(|l| {
                    l.contains(shell::UNKNOWN) && l.split('=').next().is_some_and(|k| k.trim().ends_with(".platform"))
                });
                let unknown = match (input("targets"), input("source"), unknown_platform) {
                    (Some(Err(raw)), _, _) => Some(format!("bake targets {raw}")),
                    (_, Some(Err(raw)), _) => Some(format!("bake source {raw}")),
                    (_, Some(Ok(src)), _) if src.contains("://") || src.starts_with("git@") => {
                        Some(format!("bake definition from {src}"))
                    }
                    (_, _, Some(line)) => Some(format!("bake set {line}")),
                    _ => None,
                };
                if let Some(raw) = unknown {
                    self.add(state, job, "docker/bake-action", Platforms::Unknown(raw), at, |_| {});
                    return;
                }
                let targets =
                    input("targets").and_then(Result::ok).map(|t| platform::split_list(&t)).unwrap_or_default();
                let mut sets: Vec<String> = set_lines
                    .iter()
                    .filter(|l| !l.trim().is_empty() && !l.contains(shell::UNKNOWN))
                    .map(|l| format!("--set={}", l.trim()))
                    .collect();
                if matches!(input("push"), Some(Ok(p)) if p.trim() == "true") {
                    sets.push("--push".into());
                }
                if matches!(input("load"), Some(Ok(p)) if p.trim() == "true") {
                    sets.push("--load".into());
                }
                let words: Vec<&str> = sets.iter().map(String::as_str).collect();
                let cmd = shell::read(&format!("docker buildx bake {}", words.join(" ")), env);
                let source = input("workdir").and_then(Result::ok).or_else(|| workdir.map(String::from));
                if let Some(mut b) = cmd.builds.into_iter().next() {
                    b.targets = targets;
                    b.file = files.map(|f| f.join(","));
                    self.bake(state, job, &b, source.as_deref(), env, at);
                }
            }
            "redhat-actions/buildah-build" => {
                let list = match (input("platforms"), input("archs")) {
                    (Some(Ok(p)), _) if !p.trim().is_empty() => Ok(platform::split_list(&p)),
                    (_, Some(Ok(a))) if !a.trim().is_empty() => {
                        Ok(platform::split_list(&a).into_iter().map(|a| format!("linux/{a}")).collect())
                    }
                    (Some(Err(raw)), _) | (_, Some(Err(raw))) => Err(raw),
                    _ => Ok(Vec::new()),
                };
                let n = with_node("platforms").or_else(|| with_node("archs"));
                let (platforms, at) = match (list, n) {
                    (Ok(l), Some(n)) if !l.is_empty() => (Platforms::Explicit(l), Loc::of(file, n)),
                    (Err(raw), Some(n)) => (Platforms::Unknown(raw), Loc::of(file, n)),
                    _ => (Platforms::Native(state.native.clone()), at),
                };
                self.add(state, job, "redhat-actions/buildah-build", platforms, at, |b| {
                    b.context = input("context").and_then(Result::ok);
                    b.file = input("containerfiles")
                        .and_then(Result::ok)
                        .and_then(|f| platform::split_list(&f).into_iter().next());
                });
            }
            "redhat-actions/push-to-registry" => state.pushes = true,
            "goreleaser/goreleaser-action" => {
                let args = input("args").and_then(Result::ok).unwrap_or_default();
                let dir = input("workdir").and_then(Result::ok).or_else(|| workdir.map(String::from));
                // Unknown parts of the arguments stay unknown, the rest is read.
                let args = match input("args") {
                    Some(Err(raw)) => interpolate_lossy(&raw, scope),
                    _ => args,
                };
                self.goreleaser(state, job, &args, dir.as_deref(), at);
            }
            _ if uses.starts_with("./") && depth < MAX_DEPTH => {
                self.composite(uses, step.get("with"), scope, env, workdir, state, job, depth);
            }
            _ => {}
        }
    }

    /// A `run:` step: the builds, QEMU set-ups, make targets and GoReleaser runs of its script.
    fn run_step(&mut self, ctx: &Step, run: &Node, state: &mut JobState) {
        let Step { file, job, step, scope, env, workdir } = *ctx;
        let Some(text) = run.str() else { return };
        let script = interpolate_lossy(text, scope);
        let read = shell::read(&script, env);
        // A `|` script's position is already its first line.
        let first = run.line;
        let step_dir = step
            .get("working-directory")
            .and_then(Node::str)
            .and_then(|w| expr::interpolate(w, scope))
            .or_else(|| workdir.map(String::from));
        let artifact = file.artifact.clone();
        let at = move |line: usize| Loc { artifact: artifact.clone(), line: first + line as u32, column: run.column };
        self.absorb(state, job, read, env, &outside::Origin { at: &at, dir: step_dir, make: None, depth: 0 });
    }

    #[allow(clippy::too_many_arguments)]
    fn composite(
        &mut self,
        uses: &str,
        with: Option<&Node>,
        scope: &Scope,
        env: &BTreeMap<String, String>,
        workdir: Option<&str>,
        state: &mut JobState,
        job: &str,
        depth: usize,
    ) {
        let dir = uses.trim_end_matches('/');
        let Some(action) =
            self.repo.yaml(&format!("{dir}/action.yml")).or_else(|| self.repo.yaml(&format!("{dir}/action.yaml")))
        else {
            return;
        };
        let doc = match &action.doc {
            Ok(Some(doc)) => doc,
            Ok(None) => return,
            Err(e) => {
                // GitHub fails every job that uses it; said once, at the action's own file.
                let at = (action.artifact.clone(), e.line, e.column, e.message.clone());
                if !self.invalid.contains(&at) {
                    self.invalid.push(at);
                }
                return;
            }
        };
        let runs = doc.get("runs");
        if runs.and_then(|r| r.get("using")).and_then(Node::str) != Some("composite") {
            return;
        }
        let config = Some(doc.clone());
        let (mut inputs, mut complete) = declared_inputs(&config);
        for (k, v) in with.map(Node::entries).unwrap_or_default() {
            let Some(k) = k.str() else { continue };
            match v.str().map(|s| expr::interpolate(s, scope)) {
                Some(Some(t)) => {
                    if let Value::Object(m) = &mut inputs {
                        m.insert(k.to_string(), Value::String(t));
                    }
                }
                _ => {
                    if let Value::Object(m) = &mut inputs {
                        m.remove(k);
                    }
                    complete = false;
                }
            }
        }
        let mut inner = scope.clone();
        inner.set("inputs", inputs, complete);
        let doc = doc.clone();
        if let Some(steps) = doc.get("runs").and_then(|r| r.get("steps")) {
            self.steps(&action, job, steps, &inner, env, workdir, state, depth + 1);
        }
    }

    fn bake(
        &mut self,
        state: &mut JobState,
        job: &str,
        cmd: &shell::ShellBuild,
        dir: Option<&str>,
        env: &BTreeMap<String, String>,
        at: Loc,
    ) {
        let names: Vec<String> = match &cmd.file {
            Some(f) => platform::split_list(f),
            None => bake::DEFAULT_FILES.iter().map(|s| s.to_string()).collect(),
        };
        let files: Vec<(String, String)> = names
            .iter()
            .filter_map(|n| {
                let rel = join_dir(dir, n);
                self.repo.text(&rel).map(|t| (rel, t))
            })
            .collect();
        let targets = if files.iter().any(|(n, _)| n.ends_with(".hcl") || n.ends_with(".json")) {
            bake::resolve(&files, &cmd.targets, env).map_err(|e| e.to_string())
        } else {
            Err("no local docker-bake.hcl or docker-bake.json".to_string())
        };
        match targets {
            Ok(targets) => {
                for t in targets {
                    // `--set *.platform=` on the command line wins over the file.
                    let platforms = match (&cmd.platforms, &t.platforms) {
                        (Some(Ok(l)), _) | (None, Some(Ok(l))) => Platforms::Explicit(l.clone()),
                        (Some(Err(raw)), _) | (None, Some(Err(raw))) => Platforms::Unknown(raw.clone()),
                        (None, None) => Platforms::Native(state.native.clone()),
                    };
                    state.pushes |= cmd.push || t.push;
                    let ctx = t.context.as_ref().map(|c| join_dir(dir, c));
                    self.add(state, job, &format!("bake target {}", t.name), platforms, at.clone(), |b| {
                        b.push = cmd.push || t.push;
                        b.load = cmd.load;
                        b.gha_cache = cmd.gha_cache || t.gha_cache;
                        b.gha_import = t.gha_import;
                        b.cache_export = t.cache_export;
                        b.context = ctx.clone();
                        b.file = t.dockerfile.as_ref().map(|f| join_dir(ctx.as_deref(), f));
                    });
                }
            }
            Err(why) => {
                let platforms = match &cmd.platforms {
                    Some(Ok(l)) => Platforms::Explicit(l.clone()),
                    _ => Platforms::Unknown(format!("bake: {why}")),
                };
                self.add(state, job, "docker buildx bake", platforms, at, |b| {
                    b.push = cmd.push;
                    b.load = cmd.load;
                    b.gha_cache = cmd.gha_cache;
                });
            }
        }
    }

    /// `make TARGET [VAR=value…] [-C DIR] [-f FILE]`: the builds in the target's recipes (and
    /// its prerequisites'), located at the `make` command.
    #[allow(clippy::too_many_arguments)]
    fn make(
        &mut self,
        state: &mut JobState,
        job: &str,
        words: &[String],
        dir: Option<&str>,
        env: &BTreeMap<String, String>,
        at: Loc,
        depth: usize,
    ) {
        // `make -n` (`--dry-run`, `--just-print`, `--recon`) prints the recipes without running
        // them: it builds nothing.
        let dry_run = words.iter().any(|w| {
            matches!(w.as_str(), "--dry-run" | "--just-print" | "--recon")
                || (w.starts_with('-')
                    && !w.starts_with("--")
                    && w[1..].chars().all(|c| c.is_ascii_alphabetic())
                    && w.contains('n'))
        });
        if dry_run {
            return;
        }
        let mut overrides = BTreeMap::new();
        let mut targets = Vec::new();
        let mut dir = dir.map(String::from);
        let mut file = None;
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            match w.as_str() {
                "-C" | "--directory" => {
                    dir = Some(join_dir(dir.as_deref(), words.get(i + 1).map_or("", String::as_str)));
                    i += 1;
                }
                "-f" | "--file" | "--makefile" => {
                    file = words.get(i + 1).cloned();
                    i += 1;
                }
                _ if w.starts_with('-') => {}
                _ => match w.split_once('=') {
                    Some((k, v)) => {
                        overrides.insert(k.to_string(), v.to_string());
                    }
                    None => targets.push(w.clone()),
                },
            }
            i += 1;
        }
        let names: Vec<String> = match file {
            Some(f) => vec![f],
            None => ["GNUmakefile", "makefile", "Makefile"].map(String::from).to_vec(),
        };
        let Some(text) = names.iter().find_map(|n| self.repo.text(&join_dir(dir.as_deref(), n))) else { return };
        let makefile = crate::makefile::parse(&text);
        if targets.is_empty() {
            targets.extend(makefile.default.clone());
        }
        for target in targets {
            let script = makefile.script(&target, &overrides, env);
            // What the target exports reaches its recipes, and a `$(MAKE) …` among them.
            let mut env = env.clone();
            env.extend(makefile.exports(&target, &overrides, &env));
            let read = shell::read(&script, &env);
            let here = at.clone();
            let origin = outside::Origin { at: &move |_| here.clone(), dir: dir.clone(), make: Some(target), depth };
            self.absorb(state, job, read, &env, &origin);
        }
    }

    /// ko's default platforms: `defaultPlatforms` of `.ko.yaml`, else linux/amd64.
    fn ko_defaults(&self, dir: Option<&str>) -> Platforms {
        let config = [".ko.yaml", ".ko.yml"].iter().find_map(|n| self.repo.yaml(&join_dir(dir, n)));
        let listed: Vec<String> = config
            .as_ref()
            .and_then(|f| f.doc.as_ref().ok().cloned().flatten())
            .and_then(|d| {
                d.get("defaultPlatforms").map(|p| p.items().iter().filter_map(|i| i.str().map(String::from)).collect())
            })
            .unwrap_or_default();
        if listed.is_empty() {
            Platforms::Explicit(vec!["linux/amd64".into()])
        } else {
            Platforms::Explicit(listed)
        }
    }

    /// `goreleaser release`: the images of `dockers` (goos/goarch/goarm) and `dockers_v2`
    /// (`platforms`) in the GoReleaser configuration, located at their entries.
    fn goreleaser(&mut self, state: &mut JobState, job: &str, args: &str, dir: Option<&str>, at: Loc) {
        let words: Vec<&str> = args.split_whitespace().collect();
        let skips = |what: &str| {
            words.iter().any(|w| {
                *w == format!("--skip-{what}")
                    || w.strip_prefix("--skip=").is_some_and(|l| l.split(',').any(|x| x == what))
            })
        };
        // `goreleaser --snapshot …` is `goreleaser release --snapshot …`: GoReleaser prepends
        // `release` when the first argument is not a subcommand (cmd/root.go,
        // shouldPrependRelease, goreleaser v2).
        let release = match words.first() {
            Some(&"release") => true,
            Some(w) => w.starts_with('-'),
            None => false,
        };
        if !release || skips("docker") {
            return;
        }
        let push = !words.contains(&"--snapshot") && !skips("publish");
        state.pushes |= push;
        let config = words
            .iter()
            .position(|w| *w == "--config" || *w == "-f")
            .and_then(|i| words.get(i + 1).map(|c| c.to_string()))
            .or_else(|| words.iter().find_map(|w| w.strip_prefix("--config=").map(String::from)));
        let names: Vec<String> = match config {
            Some(c) => vec![c],
            None => {
                [".goreleaser.yml", ".goreleaser.yaml", "goreleaser.yml", "goreleaser.yaml"].map(String::from).to_vec()
            }
        };
        let Some(file) = self.goreleaser_config(&names, dir, at) else { return };
        let Ok(Some(doc)) = &file.doc else { return };
        for entry in doc.get("dockers").map(Node::items).unwrap_or_default() {
            let text = |k: &str| entry.get(k).and_then(Node::str);
            let os = text("goos").unwrap_or("linux");
            // GoReleaser's defaults: amd64, and GOARM 6 for arm.
            let platform = match text("goarch").unwrap_or("amd64") {
                "arm" => format!("{os}/arm/v{}", text("goarm").unwrap_or("6")),
                a => format!("{os}/{a}"),
            };
            // The image's platform is what `docker build` is given: a literal `--platform=` in
            // `build_flag_templates` wins over goos/goarch, which only pick the binary copied in
            // (goreleaser.com/customization/docker, "build_flag_templates"). A templated one
            // (`--platform=linux/{{ .Arch }}`) follows goarch.
            let flags = entry.get("build_flag_templates").map(Node::items).unwrap_or_default();
            let flag = flags.iter().filter_map(Node::str).find_map(|f| f.strip_prefix("--platform="));
            let platform = match flag {
                Some(p) if !p.contains("{{") && !p.trim().is_empty() => p.trim().to_string(),
                _ => platform,
            };
            let loc = Loc::of(&file, entry.get("goarch").unwrap_or(entry));
            let dockerfile = join_dir(dir, text("dockerfile").unwrap_or("Dockerfile"));
            self.add(state, job, "goreleaser (dockers)", Platforms::Explicit(vec![platform]), loc, |b| {
                b.push = push;
                b.judge_qemu = false;
                b.file = Some(dockerfile);
            });
        }
        for entry in doc.get("dockers_v2").map(Node::items).unwrap_or_default() {
            let node = entry.get("platforms");
            let list: Vec<String> = match node {
                Some(n) if !n.items().is_empty() => {
                    n.items().iter().filter_map(|i| i.str().map(String::from)).collect()
                }
                Some(n) => n.str().map(platform::split_list).unwrap_or_default(),
                None => vec!["linux/amd64".into(), "linux/arm64".into()],
            };
            let loc = Loc::of(&file, node.unwrap_or(entry));
            let dockerfile = join_dir(dir, entry.get("dockerfile").and_then(Node::str).unwrap_or("Dockerfile"));
            self.add(state, job, "goreleaser (dockers_v2)", Platforms::Explicit(list), loc, |b| {
                b.push = push;
                b.judge_qemu = false;
                b.file = Some(dockerfile);
            });
        }
    }

    fn add(
        &mut self,
        state: &mut JobState,
        job: &str,
        tool: &str,
        platforms: Platforms,
        at: Loc,
        f: impl FnOnce(&mut Build),
    ) {
        // `local` is the platform of the machine running BuildKit: the runner's, here.
        let platforms = match platforms {
            Platforms::Explicit(list) if list.iter().any(|p| p.trim().eq_ignore_ascii_case("local")) => {
                match &state.native {
                    Some(n) => {
                        let mut out: Vec<String> = Vec::new();
                        for p in list {
                            let p = if p.trim().eq_ignore_ascii_case("local") { n.clone() } else { p };
                            if !out.contains(&p) {
                                out.push(p);
                            }
                        }
                        Platforms::Explicit(out)
                    }
                    None => Platforms::Unknown("local (the runner's platform is unknown)".into()),
                }
            }
            p => p,
        };
        let event = match self.merged {
            Some(true) => format!("{} (closed, merged)", self.event),
            _ => self.event.to_string(),
        };
        let mut b = Build {
            workflow: self.workflow.clone(),
            job: job.to_string(),
            event,
            class: self.class,
            tool: tool.to_string(),
            platforms,
            native: state.native.clone(),
            qemu: state.qemu.clone(),
            multi_node: state.multi_node,
            load: false,
            push: false,
            job_pushes: false,
            gha_cache: false,
            gha_import: false,
            cache_export: false,
            timeout_minutes: shortest(state.job_timeout, state.step_timeout),
            containerd_store: state.containerd_store,
            judge_qemu: true,
            cross_compiles: false,
            context: None,
            file: None,
            at,
        };
        f(&mut b);
        state.builds.push(b);
    }
}

/// Whether a Dockerfile runs no command for the target platform: every `RUN` is in a stage
/// `FROM --platform=$BUILDPLATFORM` (or built on such a stage), where BuildKit runs it on the
/// machine's own platform. Stages pinned to any other platform count as the target's.
fn cross_compiles(text: &str) -> bool {
    let df = crate::dockerfile::parse(text);
    let mut on_build: Vec<&str> = Vec::new();
    for stage in &df.stages {
        let pinned = stage.platform.as_deref().map(|p| p.replace(['{', '}'], ""));
        let native = pinned.as_deref() == Some("$BUILDPLATFORM")
            || (pinned.is_none() && on_build.iter().any(|n| n.eq_ignore_ascii_case(&stage.image)));
        if native {
            on_build.extend(stage.name.as_deref());
        } else if df.instructions[stage.body.clone()].iter().any(|i| i.keyword == "RUN") {
            return false;
        }
    }
    !df.stages.is_empty()
}

/// Whether `cache-to` entries name a backend other than gha (an entry without `type=` is a
/// registry reference).
pub fn exports_elsewhere<'a>(entries: impl IntoIterator<Item = &'a str>) -> bool {
    entries.into_iter().map(str::trim).any(|e| !e.is_empty() && !e.split(',').any(|a| a.trim() == "type=gha"))
}

/// `timeout-minutes` (a number or an expression), when it can be evaluated.
fn minutes(node: Option<&Node>, scope: &Scope) -> Option<f64> {
    let text = node?.str()?;
    let text = if text.contains("${{") { expr::interpolate(text, scope)? } else { text.to_string() };
    text.trim().parse::<f64>().ok().filter(|m| *m > 0.0)
}

fn shortest(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn join_dir(dir: Option<&str>, path: &str) -> String {
    match dir {
        Some(d) if !d.is_empty() && !path.starts_with('/') => format!("{}/{path}", d.trim_end_matches('/')),
        _ => path.to_string(),
    }
}

/// Interpolates what it can and leaves a marker where an expression is unknown.
fn interpolate_lossy(text: &str, scope: &Scope) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find("}}").map(|e| e + 2).unwrap_or(after.len());
        match expr::interpolate(&after[..end], scope) {
            Some(v) => out.push_str(&v),
            None => out.push_str(shell::UNKNOWN),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Adds an `env:` block to the expression scope and to the shell's known variables.
fn add_env(scope: &mut Scope, env: &mut BTreeMap<String, String>, block: Option<&Node>) {
    let Some(block) = block else { return };
    let mut known = Vec::new();
    for (k, v) in block.entries() {
        let (Some(k), Some(v)) = (k.str(), v.str()) else { continue };
        match expr::interpolate(v, scope) {
            Some(t) => {
                env.insert(k.to_string(), t.clone());
                known.push((k.to_string(), Value::String(t)));
            }
            None => {
                env.remove(k);
            }
        }
    }
    scope.extend("env", known);
}

/// The labels of `runs-on` (a label, a list, or `{group, labels}`), when they can be evaluated.
fn runs_on(node: Option<&Node>, scope: &Scope) -> Option<Vec<String>> {
    let node = node?;
    if let Some(s) = node.str() {
        let t = expr::interpolate(s, scope)?;
        // `runs-on: ${{ matrix.os }}` may evaluate to a JSON list.
        if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(&t) {
            return Some(a.iter().map(expr::to_text).collect());
        }
        return Some(vec![t]);
    }
    let items =
        if node.items().is_empty() { node.get("labels").map(Node::items).unwrap_or_default() } else { node.items() };
    items.iter().map(|i| i.str().and_then(|s| expr::interpolate(s, scope))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(yaml: &str) -> Vec<Map<String, Value>> {
        let node = crate::yaml::parse(yaml).unwrap().unwrap();
        expand_matrix(&node, &Scope::default()).unwrap()
    }

    #[test]
    fn matrix_product_exclude_include() {
        let m = matrix("os: [a, b]\nplatform: [x, y]\nexclude:\n  - os: b\n    platform: y\ninclude:\n  - os: a\n    extra: 1\n  - os: c\n    platform: z\n");
        assert_eq!(m.len(), 4, "{m:?}");
        assert_eq!(m[0].get("extra"), Some(&json!(1)));
        assert_eq!(m[1].get("extra"), Some(&json!(1)));
        assert_eq!(m[2].get("extra"), None);
        assert_eq!(m[3], json!({"os": "c", "platform": "z"}).as_object().unwrap().clone());
    }

    #[test]
    fn include_only_matrix() {
        let m = matrix("include:\n  - platform: linux/amd64\n    runner: ubuntu-latest\n  - platform: linux/arm64\n    runner: ubuntu-24.04-arm\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[1]["runner"], json!("ubuntu-24.04-arm"));
    }

    #[test]
    fn expression_matrix_is_unknown_unless_literal() {
        let node = crate::yaml::parse("\"${{ fromJSON(needs.setup.outputs.matrix) }}\"").unwrap().unwrap();
        assert!(expand_matrix(&node, &Scope::default()).is_none());
        let node = crate::yaml::parse("include: ${{ fromJson(needs.prepare.outputs.includes) }}\n").unwrap().unwrap();
        assert!(expand_matrix(&node, &Scope::default()).is_none(), "an expression include is unknown, not empty");
        let node = crate::yaml::parse("\"${{ fromJSON('{\\\"p\\\":[\\\"a\\\",\\\"b\\\"]}') }}\"").unwrap().unwrap();
        assert_eq!(expand_matrix(&node, &Scope::default()).unwrap().len(), 2);
    }

    #[test]
    fn cross_compiling_dockerfiles() {
        let ruff_like = "FROM --platform=$BUILDPLATFORM ubuntu AS build\nRUN make\nFROM build AS more\nRUN strip /x\nFROM scratch\nCOPY --from=more /x /x\n";
        assert!(cross_compiles(ruff_like));
        assert!(cross_compiles(
            "FROM --platform=${BUILDPLATFORM} golang AS b\nRUN go build\nFROM alpine\nCOPY --from=b /a /a\n"
        ));
        assert!(!cross_compiles(
            "FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build\nFROM alpine\nRUN apk add curl\n"
        ));
        assert!(!cross_compiles("FROM debian\nRUN apt-get update\n"));
        assert!(
            !cross_compiles("FROM --platform=linux/amd64 debian\nRUN true\n"),
            "a literal pin is not the build platform"
        );
        assert!(!cross_compiles(""), "no stages: nothing read");
    }

    #[test]
    fn commented_triggers() {
        assert_eq!(commented_pr_trigger("on:\n  push:\n  # pull_request:\n"), Some((3, 3)));
        assert_eq!(commented_pr_trigger("on:\n#  - pull_request\n"), Some((2, 1)));
        assert_eq!(commented_pr_trigger("# builds on pull_request: and push\n"), None);
    }
}
