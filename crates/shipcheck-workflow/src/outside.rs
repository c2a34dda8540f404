//! Builds outside the workflow YAML (issue 15, item 5): the script files a `run:` step or a
//! Make recipe runs, Compose builds, and what stays out of reach — a reusable workflow of
//! another repository, a script that is not in the repository, a GoReleaser configuration that
//! cannot be read. What is out of reach is kept as [`Unseen`], which `workflow/unseen-build`
//! reports as a note, so that a clean report never hides a build shipcheck did not see.
//!
//! A child module of `workflow` so that it extends the evaluator without widening its types.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{join_dir, Eval, JobState, Loc, Platforms};
use crate::repo::File;
use crate::shell::{self, Script, ScriptCall};
use crate::yaml::Node;

/// How deep script files that run script files (or Make targets) are followed.
const MAX_SCRIPT_DEPTH: usize = 3;

/// A build the workflows may run that shipcheck cannot read.
#[derive(Debug, Clone, PartialEq)]
pub struct Unseen {
    /// The workflow whose trigger runs it.
    pub workflow: String,
    pub event: String,
    /// Where the workflow (or script) hands the build over.
    pub at: Loc,
    /// What is not seen: `reusable workflow owner/repo/…@ref`, `script ./build_docker.sh`.
    pub what: String,
    /// Why it is not seen.
    pub why: String,
}

/// Where the commands of a script come from.
pub(super) struct Origin<'o> {
    /// The location of a command of the script, by its 0-based line.
    pub at: &'o dyn Fn(usize) -> Loc,
    /// The working directory of the script.
    pub dir: Option<String>,
    /// The Make target whose recipes these are (builds are named `make TARGET (tool)`).
    pub make: Option<String>,
    /// Script files and Make targets followed to get here.
    pub depth: usize,
}

/// Script names that say they build or publish images: only such a script is named when it
/// cannot be read, so that every missing helper script (`get-docker-tags.sh`,
/// `free-disk-space.sh`) does not become a note.
/// The image word may be in the directory (cockpit's `containers/ws/release.sh`), the verb must
/// be in the file name.
fn builds_images(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let image = ["docker", "image", "container", "oci", "manifest", "buildx", "podman", "buildah"]
        .iter()
        .any(|w| lower.contains(w));
    let verb = ["build", "push", "publish", "release", "multiarch", "multi-arch", "buildx", "bake"]
        .iter()
        .any(|w| name.contains(w));
    image && verb
}

/// Reusable workflows of other repositories known not to build images. slsa-github-generator's
/// container generator attests an image built elsewhere (its README: "generate SLSA provenance
/// for container images that you build"), so the images it names are seen where they are built.
const REMOTE_WITHOUT_BUILDS: &[&str] = &["slsa-framework/slsa-github-generator/"];

/// Reusable-workflow file names that say they build or publish images.
fn remote_builds_images(uses: &str) -> bool {
    let path = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
    if REMOTE_WITHOUT_BUILDS.iter().any(|p| path.starts_with(p)) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(&path);
    ["docker", "image", "container", "bake", "oci", "goreleaser", "ko.y", "ko-", "buildx"]
        .iter()
        .any(|w| name.contains(w))
}

impl Eval<'_> {
    fn note_unseen(&mut self, at: Loc, what: String, why: &str) {
        let u = Unseen { workflow: self.workflow.clone(), event: self.event.to_string(), at, what, why: why.into() };
        if !self.unseen.contains(&u) {
            self.unseen.push(u);
        }
    }

    /// `jobs.<id>.uses:` that is not a workflow of this repository: its builds are not seen.
    pub(super) fn remote_workflow(&mut self, file: &File, job: &Node, uses: &str) {
        if uses.starts_with("./") {
            return;
        }
        let at = Loc::of(file, job.get("uses").unwrap_or(job));
        if !remote_builds_images(uses) {
            return;
        }
        let parts: Vec<&str> = uses.split('/').collect();
        let remote = parts.len() >= 3 && parts[..2].iter().all(|p| !p.is_empty() && !p.starts_with(['$', '.']));
        let why = if remote {
            "workflows of other repositories are not fetched; the images it builds and their platforms are not seen"
        } else {
            // GitHub takes `./path` or `owner/repo/path@ref`; `$/.github/…` (astral-sh/ruff's
            // cargo-dist release.yml) is neither, so which file runs is not known here.
            "it is neither a workflow of this repository (./…) nor owner/repo/path@ref, so the builds of the workflow it means are not judged for this trigger"
        };
        self.note_unseen(at, format!("reusable workflow {uses}"), why);
    }

    /// The GoReleaser configuration among `names` (in `dir`): a name with an unknown part, a
    /// missing file, or a template (`.tmpl`) that is not YAML is noted as unseen.
    pub(super) fn goreleaser_config(&mut self, names: &[String], dir: Option<&str>, at: Loc) -> Option<Rc<File>> {
        let shown = names.join(" or ");
        if names.iter().any(|n| n.contains(shell::UNKNOWN) || n.contains("${{") || n.contains('$')) {
            // A configuration generated at run time most likely comes from a template or
            // configuration next to it (traefik renders `.goreleaser.yml.tmpl`); when those
            // are there and none mentions docker, the run builds no image to miss.
            let local: Vec<String> =
                [".goreleaser.yml.tmpl", ".goreleaser.yaml.tmpl", ".goreleaser.yml", ".goreleaser.yaml"]
                    .iter()
                    .filter_map(|n| self.repo.text(&join_dir(dir, n)))
                    .collect();
            if !local.is_empty() && !local.iter().any(|t| t.contains("docker")) {
                return None;
            }
            let what = format!("goreleaser configuration {}", shown.replace(shell::UNKNOWN, "${{ … }}"));
            self.note_unseen(at, what, "its name is known only when the workflow runs; its docker images are not seen");
            return None;
        }
        let found = names.iter().find_map(|n| self.repo.yaml(&join_dir(dir, n)));
        match &found {
            // Without a configuration file GoReleaser uses its defaults, which build no image.
            None if names.len() > 1 => {}
            None => {
                let why =
                    "the file is not in the repository (generated before the release?); its docker images are not seen";
                self.note_unseen(at, format!("goreleaser configuration {shown}"), why);
            }
            Some(f) if f.doc.is_err() => {
                // A `.tmpl` is read as YAML as far as it is YAML; Go templates often are not.
                let why = "it is not valid YAML (a Go template?); its docker images are not seen";
                self.note_unseen(at, format!("goreleaser configuration {}", f.rel), why);
            }
            Some(_) => {}
        }
        found
    }

    /// What a script does, as the evaluator records it: QEMU, builders, pushes, builds, Make
    /// targets, GoReleaser runs, Compose builds and the script files it runs.
    pub(super) fn absorb(
        &mut self,
        state: &mut JobState,
        job: &str,
        read: Script,
        env: &BTreeMap<String, String>,
        origin: &Origin,
    ) {
        if let Some(q) = read.qemu.clone() {
            state.qemu = match (state.qemu.take(), q) {
                (Some(None), _) | (_, None) => Some(None),
                (Some(Some(mut a)), Some(b)) => {
                    a.extend(b);
                    Some(Some(a))
                }
                (None, Some(b)) => Some(Some(b)),
            };
        }
        state.multi_node |= read.multi_node;
        state.pushes |= read.pushes;
        let dir = origin.dir.as_deref();
        if origin.depth < MAX_SCRIPT_DEPTH {
            for (words, line) in &read.make {
                self.make(state, job, words, dir, env, (origin.at)(*line), origin.depth + 1);
            }
        }
        for (args, line) in &read.goreleaser {
            self.goreleaser(state, job, args, dir, (origin.at)(*line));
        }
        for (words, line) in &read.compose {
            self.compose(state, job, words, dir, (origin.at)(*line));
        }
        for b in read.builds {
            let at = (origin.at)(b.line);
            state.pushes |= b.push;
            if b.tool.ends_with("bake") {
                // Bake in a Make recipe is not followed (as before this module): its files are
                // named relative to the Makefile, which the recipe may change with `cd`.
                if origin.make.is_none() {
                    self.bake(state, job, &b, dir, env, at);
                }
                continue;
            }
            let platforms = match &b.platforms {
                // ko's platforms default to `.ko.yaml`'s defaultPlatforms, else linux/amd64.
                None if b.tool == "ko build" => self.ko_defaults(dir),
                None => Platforms::Native(state.native.clone()),
                Some(Ok(list)) => Platforms::Explicit(list.clone()),
                Some(Err(raw)) => Platforms::Unknown(raw.clone()),
            };
            let tool = match &origin.make {
                Some(target) => format!("make {target} ({})", b.tool),
                None => b.tool.clone(),
            };
            let cross_compiles = b.tool == "ko build";
            let outside_yaml = origin.make.is_some() || origin.depth > 0;
            self.add(state, job, &tool, platforms, at, |x| {
                x.push = b.push;
                x.load = b.load;
                x.gha_cache = b.gha_cache;
                x.context = b.context.as_ref().map(|c| join_dir(dir, c));
                x.file = b.file.as_ref().map(|f| join_dir(dir, f));
            });
            // A Make recipe or script often writes or copies the Dockerfile it builds (coredns
            // copies it into build/docker/$arch): when it is not in the repository, whether the
            // build runs target-platform commands, and so needs QEMU, is not known.
            if let Some(x) = state.builds.last_mut() {
                let readable = x.dockerfile().is_some_and(|f| self.repo.text(&f).is_some());
                x.judge_qemu = !cross_compiles && (!outside_yaml || readable);
            }
        }
        for call in &read.scripts {
            self.script(state, job, call, env, origin);
        }
    }

    /// A script file the script runs: read from the repository and evaluated with the
    /// variables its command line sets; one that is not there is noted when its name says it
    /// builds images.
    fn script(
        &mut self,
        state: &mut JobState,
        job: &str,
        call: &ScriptCall,
        env: &BTreeMap<String, String>,
        origin: &Origin,
    ) {
        let at = (origin.at)(call.line);
        let rel = join_dir(origin.dir.as_deref(), &call.path);
        let Some(rel) = crate::repo::Repo::clean(&rel) else { return };
        if origin.depth >= MAX_SCRIPT_DEPTH {
            return;
        }
        let Some(text) = self.repo.text(&rel) else {
            if builds_images(&rel) {
                let why = "the script is not in the repository; the images it builds and their platforms are not seen";
                self.note_unseen(at, format!("script {}", call.path), why);
            }
            return;
        };
        let mut env = env.clone();
        env.extend(call.env.clone());
        // Positional arguments and what the script computes are unknown, as in a `run:` step.
        let read = shell::read(&text, &env);
        let artifact = self.repo.artifact(&rel);
        let here = move |line: usize| Loc { artifact: artifact.clone(), line: line as u32 + 1, column: 1 };
        // A script runs in the caller's working directory; its paths are relative to that.
        let inner = Origin { at: &here, dir: origin.dir.clone(), make: None, depth: origin.depth + 1 };
        self.absorb(state, job, read, &env, &inner);
    }

    /// `docker compose … build`: one build per service with `build:`, at its `platforms`.
    fn compose(&mut self, state: &mut JobState, job: &str, words: &[String], dir: Option<&str>, at: Loc) {
        let cmd = crate::compose::command(words);
        let base = cmd.dir.as_deref().map(|d| join_dir(dir, d)).or_else(|| dir.map(String::from));
        let names: Vec<String> = if cmd.files.is_empty() {
            crate::compose::DEFAULT_FILES.iter().map(|s| s.to_string()).collect()
        } else {
            cmd.files.clone()
        };
        if names.iter().any(|n| n.contains('$') || n.contains(shell::UNKNOWN)) {
            let what = format!("compose file {}", names.join(", ").replace(shell::UNKNOWN, "${{ … }}"));
            self.note_unseen(at, what, "its name is known only when the workflow runs; its images are not seen");
            return;
        }
        // Several `-f` files merge; the services' builds are read from each.
        let files: Vec<Rc<File>> = if cmd.files.is_empty() {
            names.iter().find_map(|n| self.repo.yaml(&join_dir(base.as_deref(), n))).into_iter().collect()
        } else {
            names.iter().filter_map(|n| self.repo.yaml(&join_dir(dir, n))).collect()
        };
        if files.is_empty() {
            let why = "no such Compose file in the repository; its images are not seen";
            self.note_unseen(at, format!("compose file {}", names.join(" or ")), why);
            return;
        }
        for file in files {
            let Ok(Some(doc)) = &file.doc else { continue };
            let fdir = file.rel.rsplit_once('/').map(|(d, _)| d.to_string());
            for b in crate::compose::builds(doc, &cmd.services) {
                let platforms = match b.platforms {
                    Some(Ok(l)) => Platforms::Explicit(l),
                    Some(Err(raw)) => Platforms::Unknown(raw),
                    None => Platforms::Native(state.native.clone()),
                };
                state.pushes |= cmd.push;
                let loc = Loc { artifact: file.artifact.clone(), line: b.line, column: b.column };
                let context = b.context.map(|c| join_dir(fdir.as_deref(), &c));
                let dockerfile = b.dockerfile.map(|f| join_dir(context.as_deref(), &f));
                self.add(state, job, &format!("docker compose build {}", b.service), platforms, loc, |x| {
                    x.push = cmd.push;
                    x.context = context.clone();
                    x.file = dockerfile;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_that_build_images() {
        assert!(builds_images("./build_docker.sh"));
        assert!(builds_images("hack/push-image.sh"));
        assert!(!builds_images("./bin/get-docker-tags.sh"));
        assert!(builds_images("containers/ws/release.sh"));
        assert!(!builds_images("packaging/testing/smoke/container/container-smoke-test.sh"));
        assert!(!builds_images(".github/workflows/scripts/free-disk-space.sh"));
        assert!(remote_builds_images("docker/github-builder/.github/workflows/bake.yml@a492c6d"));
        assert!(!remote_builds_images(
            "slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0"
        ));
        assert!(!remote_builds_images("crazy-max/.github/.github/workflows/zizmor.yml@f91220c"));
    }

    use crate::repo::Repo;
    use crate::workflow::{analyze, Analysis, Class};

    fn run(files: &[(&str, &str)]) -> Analysis {
        analyze(&Repo::in_memory(files))
    }

    fn platforms(a: &Analysis, class: Class) -> Vec<(String, Vec<String>)> {
        a.builds
            .iter()
            .filter(|b| b.class == class)
            .map(|b| (b.tool.clone(), b.known_platforms().unwrap_or_else(|| vec!["?".into()])))
            .collect()
    }

    const RELEASE: &str = "on:\n  push:\n    tags: [v*]\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n";

    #[test]
    fn scripts_a_step_runs_are_read_with_their_variables() {
        let wf = format!("{RELEASE}      - run: PLATFORMS=linux/arm64,linux/s390x ./hack/image.sh\n      - run: ./hack/missing-docker-build.sh\n");
        let script = "#!/bin/sh\nset -e\ndocker buildx build --platform \"$PLATFORMS\" --push -f build/Dockerfile .\n";
        let a =
            run(&[(".github/workflows/r.yml", &wf), ("hack/image.sh", script), ("build/Dockerfile", "FROM scratch\n")]);
        assert_eq!(
            platforms(&a, Class::PostMerge),
            [("docker buildx build".to_string(), vec!["linux/arm64".to_string(), "linux/s390x".into()])]
        );
        let b = &a.builds[0];
        assert_eq!((b.at.artifact.as_str(), b.at.line, b.push), ("hack/image.sh", 3, true));
        assert_eq!(b.file.as_deref(), Some("build/Dockerfile"));
        assert_eq!(a.unseen.len(), 1, "{:?}", a.unseen);
        assert_eq!(a.unseen[0].what, "script ./hack/missing-docker-build.sh");
        assert_eq!(a.unseen[0].at.line, 9);
    }

    #[test]
    fn make_pattern_rules_and_loops_from_a_workflow() {
        let wf =
            format!("{RELEASE}      - run: make -f Makefile.docker release VERSION=1\n      - run: make image-edge\n      - run: make -n image-dry && make --dry-run image-dry\n");
        let docker = "ARCHES:=amd64 arm64 riscv64\nrelease:\n\tfor arch in $(ARCHES); do \\\n\t  docker build --platform=$${arch} -t x:$${arch}-$(VERSION) build/$${arch}; \\\n\tdone\n";
        let make = "image-%:\n\tdocker buildx build --platform=linux/ppc64le -t x:$* .\n";
        let a = run(&[(".github/workflows/r.yml", &wf), ("Makefile.docker", docker), ("Makefile", make)]);
        let got = platforms(&a, Class::PostMerge);
        let names: Vec<String> = got.iter().flat_map(|(_, p)| p.clone()).collect();
        assert_eq!(names, ["linux/amd64", "linux/arm64", "linux/riscv64", "linux/ppc64le"]);
        assert_eq!(got[0].0, "make release (docker build)");
        // The per-architecture Dockerfile is written at run time: QEMU is not judged for it.
        assert!(!a.builds[0].judge_qemu);
    }

    #[test]
    fn goreleaser_dockers_v2_flags_and_unreadable_configs() {
        let wf = format!(
            "{RELEASE}      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --clean\n      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: --config ${{{{ env.CONFIG }}}}\n      - run: goreleaser release -f gen.yml.tmpl\n"
        );
        let config = "dockers:\n  - goarch: arm64\n    build_flag_templates: [\"--platform=linux/arm64/v8\"]\n  - goarch: arm\n    goarm: 7\n    build_flag_templates: [\"--platform=linux/{{ .Arch }}\"]\ndockers_v2:\n  - platforms: [linux/riscv64]\ndocker_manifests:\n  - name_template: x\n";
        let a = run(&[
            (".github/workflows/r.yml", &wf),
            (".goreleaser.yaml", config),
            ("gen.yml.tmpl", "dockers:\n{{ range .Arches }}\n  - goarch: {{ . }}\n{{ end }}\n"),
        ]);
        let names: Vec<String> = platforms(&a, Class::PostMerge).into_iter().flat_map(|(_, p)| p).collect();
        assert_eq!(names, ["linux/arm64", "linux/arm/v7", "linux/riscv64"]);
        let what: Vec<&str> = a.unseen.iter().map(|u| u.what.as_str()).collect();
        assert_eq!(what, ["goreleaser configuration ${{ … }}", "goreleaser configuration gen.yml.tmpl"]);
        // A run-time name next to a template that builds no image (traefik's) is not noted.
        let wf = format!("{RELEASE}      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --config ${{{{ env.CONFIG }}}}\n");
        let a = run(&[
            (".github/workflows/r.yml", &wf),
            (".goreleaser.yml.tmpl", "builds:\n  - goos: [\"[[ .GOOS ]]\"]\n"),
        ]);
        assert!(a.unseen.is_empty() && a.builds.is_empty(), "{:?}", a.unseen);
    }

    #[test]
    fn compose_builds_and_remote_workflows() {
        let wf = "on: pull_request\njobs:\n  remote:\n    uses: org/shared/.github/workflows/docker-image.yml@v1\n  slsa:\n    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0\n  lint:\n    uses: org/shared/.github/workflows/lint.yml@v1\n  test:\n    runs-on: ubuntu-24.04-arm\n    steps:\n      - run: docker compose -f ci/compose.yml build\n      - run: docker compose build\n";
        let compose = "services:\n  api:\n    build:\n      context: ../api\n      platforms: [linux/amd64, linux/arm64]\n  web:\n    build: web\n";
        let a = run(&[(".github/workflows/pr.yml", wf), ("ci/compose.yml", compose)]);
        let got = platforms(&a, Class::PullRequest);
        assert_eq!(
            got,
            [
                ("docker compose build api".to_string(), vec!["linux/amd64".to_string(), "linux/arm64".into()]),
                ("docker compose build web".to_string(), vec!["linux/arm64".to_string()]),
            ]
        );
        assert_eq!(a.builds[0].dockerfile().as_deref(), Some("api/Dockerfile"));
        let what: Vec<&str> = a.unseen.iter().map(|u| u.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "reusable workflow org/shared/.github/workflows/docker-image.yml@v1",
                "compose file compose.yaml or compose.yml or docker-compose.yaml or docker-compose.yml"
            ]
        );
    }
}
