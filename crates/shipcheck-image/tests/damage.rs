//! What the live engines do with damaged archives: every (damage class, archive form) of
//! tests/common/damage.rs is verified (shipcheck must report the class's rule) and loaded into
//! every live engine that reads its form, each cell into a fresh store or namespace:
//!
//! - `docker load` (dockerd 20.10, vfs; the store emptied before each load), tar forms;
//! - `podman load -i` (podman 4.3, vfs), tar forms and the layout directory;
//! - `ctr images import` (containerd 1.6, native snapshotter), with and without
//!   `--all-platforms`, tar forms;
//! - `skopeo copy docker-archive:` and `oci-archive:` (tar forms) and `oci:DIR` (the layout);
//! - `buildah pull docker-archive:` and `oci-archive:` (buildah 1.28, vfs), tar forms.
//!
//! Each cell records what the engine did — `loads` (exit 0), `refuses` (non-zero exit, nothing
//! stored), `leaves-record` (non-zero exit, yet the store lists an image afterwards),
//! `some-platforms` (exit 0, but the store holds fewer of a multi-platform archive's platforms
//! than the archive has; for ctr without `--all-platforms`, skopeo, podman and buildah taking
//! the host's platform is their default) — with the engine's last error line, the names and
//! image IDs listed afterwards, and shipcheck's prediction for the engine's profile. With
//! `SHIPCHECK_DAMAGE_TSV=FILE` the table is written there as TSV; with
//! `SHIPCHECK_DAMAGE_ARCHIVES=DIR` the archives are written to DIR and kept.
//!
//! Every cell must agree with shipcheck's prediction for the engine's profile (the outcome, and
//! the names and image IDs where the engine keeps them), and shipcheck must find each class's
//! damage. The measured outcomes are data: `[[damage]]` in data/engines.toml
//! (scripts/damage-cells.py writes them from this test's TSV).
//! Needs root and the engines; without them it skips, except under CI=true, where it fails.

use std::path::Path;
use std::time::Instant;

#[allow(dead_code)]
mod common;
use common::damage::{self, Damaged, Form};
use common::engines::*;
use shipcheck_image::engine::{self, Verdict};
use shipcheck_image::{SourceSpec, Verified, VerifyOptions};

/// One way of loading an archive: an engine, and how it is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runner {
    Docker,
    Podman,
    Ctr,
    CtrAllPlatforms,
    Skopeo,
    SkopeoOci,
    Buildah,
    BuildahOci,
}

const RUNNERS: [Runner; 8] = [
    Runner::Docker,
    Runner::Podman,
    Runner::Ctr,
    Runner::CtrAllPlatforms,
    Runner::Skopeo,
    Runner::SkopeoOci,
    Runner::Buildah,
    Runner::BuildahOci,
];

impl Runner {
    /// The engine column: the profile id, and how it was called where a profile has two.
    fn label(self) -> &'static str {
        match self {
            Runner::Docker => "docker@20.10",
            Runner::Podman => "podman@4.3",
            Runner::Ctr => "containerd@1.6",
            Runner::CtrAllPlatforms => "containerd@1.6 --all-platforms",
            Runner::Skopeo => "skopeo@1.9",
            Runner::SkopeoOci => "skopeo-oci@1.9",
            Runner::Buildah => "buildah@1.28",
            Runner::BuildahOci => "buildah@1.28 oci-archive",
        }
    }

    /// The profile whose prediction the cell is compared with.
    fn profile(self) -> &'static str {
        match self {
            Runner::CtrAllPlatforms => "ctr-all-platforms@1.6",
            Runner::BuildahOci => "buildah-oci@1.28",
            r => r.label(),
        }
    }

    /// Takes only the host's platform of a multi-platform archive by default: for it, keeping
    /// fewer platforms than the archive has is loading, not loading some platforms.
    fn host_only(self) -> bool {
        !matches!(self, Runner::Docker | Runner::CtrAllPlatforms)
    }

    /// Whether it reads this form: every runner reads tar files; of the directory, podman
    /// (`podman load -i DIR`) and skopeo (`copy oci:DIR`).
    fn reads(self, form: Form) -> bool {
        !form.is_dir() || matches!(self, Runner::Podman | Runner::SkopeoOci)
    }

    /// Copies keep no names, so only whether the engine reads the archive is compared.
    fn copy_only(self) -> bool {
        matches!(self, Runner::Skopeo | Runner::SkopeoOci | Runner::Buildah | Runner::BuildahOci)
    }

    /// Runners in one group run one after another; groups run side by side (Docker's store is
    /// one for all its cells).
    fn group(self) -> usize {
        match self {
            Runner::Docker => 0,
            Runner::Ctr | Runner::CtrAllPlatforms => 1,
            Runner::Podman => 2,
            Runner::Skopeo | Runner::SkopeoOci | Runner::Buildah | Runner::BuildahOci => 3,
        }
    }
}

/// One (class, form, engine) cell of the table.
struct Row {
    class: &'static str,
    form: Form,
    runner: Runner,
    observed: &'static str,
    error: String,
    names: Vec<String>,
    ids: Vec<String>,
    predicted: String,
    agree: bool,
    /// For a multi-platform archive: the platforms whose content the store holds afterwards.
    platforms: Option<Vec<String>>,
}

/// Loads `d` with `r`, in state of its own under `work` (cell number `n`). Returns what the
/// engine reported, and for a multi-platform archive the platforms it stored.
fn run(r: Runner, d: &Damaged, daemons: &Daemons, work: &Path, n: usize) -> (Observed, Option<Vec<String>>) {
    let path = &d.path;
    let multi = d.class.multi_platform;
    let state = work.join(format!("cell{n}"));
    let shown = path.display();
    let result = match r {
        Runner::Docker => {
            let o = daemons.load_docker(path);
            (o, multi.then(|| daemons.docker_platforms()))
        }
        Runner::Ctr | Runner::CtrAllPlatforms => {
            let ns = format!("damage{n}");
            let o =
                if r == Runner::Ctr { daemons.load_ctr(path, &ns) } else { daemons.load_ctr_all_platforms(path, &ns) };
            // A platform is stored when the image keeps its config and every layer.
            let platforms = multi.then(|| {
                let content = daemons.ctr_kept_content(&ns);
                d.platforms
                    .iter()
                    .filter(|(_, digests)| digests.iter().all(|x| content.contains(x)))
                    .map(|(p, _)| p.clone())
                    .collect()
            });
            (o, platforms)
        }
        Runner::Podman => {
            let o = load_podman_listed(path, &state);
            (o, multi.then(|| podman_platforms(&state)))
        }
        Runner::Skopeo | Runner::SkopeoOci => {
            let source = match (r, d.form) {
                (_, Form::OciLayout) => format!("oci:{shown}"),
                (Runner::Skopeo, _) => format!("docker-archive:{shown}"),
                _ => format!("oci-archive:{shown}"),
            };
            let o = copy_skopeo_listed(&source, &state);
            (o, multi.then(|| layout_platforms(&state)))
        }
        Runner::Buildah | Runner::BuildahOci => {
            let transport = if r == Runner::Buildah { "docker-archive" } else { "oci-archive" };
            let o = pull_buildah_listed(&format!("{transport}:{shown}"), &state);
            (o, multi.then(|| buildah_platforms(&state)))
        }
    };
    let _ = std::fs::remove_dir_all(&state);
    result
}

/// What shipcheck predicts for a cell.
#[derive(Clone)]
struct Predicted {
    /// The predicted column: `loads`, or `fails: ERROR`.
    text: String,
    /// As the observed column names it: loads, refuses, leaves-record, some-platforms.
    outcome: &'static str,
    loads: bool,
    names: Vec<String>,
    ids: Vec<String>,
    /// shipcheck computes every image ID (not containerd's conversion of a docker save).
    ids_known: bool,
}

fn prediction(v: &Verified, r: Runner) -> Predicted {
    let profile =
        engine::profiles().iter().find(|p| p.id == r.profile()).unwrap_or_else(|| panic!("no profile {}", r.profile()));
    let pr = engine::predict(v, profile);
    let (names, ids) = listed(&pr);
    let outcome = match pr.verdict {
        Verdict::Fails => "refuses",
        Verdict::FailsLeavingRecord => "leaves-record",
        _ if !pr.platforms_left_out.is_empty() => "some-platforms",
        _ => "loads",
    };
    Predicted {
        text: pr.outcome(),
        outcome,
        loads: pr.verdict.loaded(),
        names,
        ids,
        ids_known: pr.ids.iter().all(Option::is_some),
    }
}

/// Text for a TSV cell: temporary paths and digests (hex runs of 12 and more) become `…`,
/// tabs and newlines spaces.
fn scrub(text: &str, temp: &[&Path]) -> String {
    // skopeo logs its error as `time="…" level=fatal msg="…"`: the message is the text.
    let text = match text.split_once("level=fatal msg=\"") {
        Some((_, msg)) => msg.strip_suffix('"').unwrap_or(msg).replace("\\\"", "\""),
        None => text.to_string(),
    };
    let mut s = text.replace(['\t', '\n', '\r'], " ");
    for t in temp {
        s = s.replace(&t.display().to_string(), "…");
    }
    let mut out = String::new();
    let mut run = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
            continue;
        }
        if run.len() >= 12 || (run.len() >= 6 && run.bytes().all(|b| b.is_ascii_digit())) {
            out.push('…');
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

/// Removes a directory when dropped (also when the test panics).
struct RemoveOnDrop(Option<std::path::PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The options every archive is verified with: the decompression limit lowered to ratio 10
/// (a 51 MiB floor), so the ~100 MiB bomb is reported while staying quick to load.
fn verify_options() -> VerifyOptions {
    VerifyOptions {
        limits: shipcheck_image::ReadLimits { max_expansion_ratio: 10, ..Default::default() },
        ..VerifyOptions::default()
    }
}

#[test]
fn damage_matrix() {
    if !available() {
        return;
    }
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    // SHIPCHECK_DAMAGE_ARCHIVES=DIR keeps the archives there, to load them by hand. Otherwise
    // they go to a directory whose path is a valid image reference: `podman load -i DIR`
    // names an image from a layout directory's path (`localhost/tmp/…/x.oci-layout`), and
    // fails on a path with capitals such as a temporary directory's random name.
    let keep = std::env::var_os("SHIPCHECK_DAMAGE_ARCHIVES").map(std::path::PathBuf::from);
    let archives_dir =
        keep.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("shipcheck-damage-{}", std::process::id())));
    let _cleanup = RemoveOnDrop(keep.is_none().then(|| archives_dir.clone()));
    std::fs::create_dir_all(&archives_dir).unwrap();
    let (archives, skipped) = damage::write_all(&archives_dir);
    eprintln!("{} archives written in {:.1?}", archives.len(), started.elapsed());
    for (class, form, why) in &skipped {
        eprintln!("skipped {class} × {}: {why}", form.name());
    }

    // shipcheck must find each class's damage, and (for the controls and the bomb) no error.
    let mut wrong = Vec::new();
    let mut predictions = Vec::new();
    for d in &archives {
        let spec = SourceSpec::parse(d.path.to_str().unwrap()).unwrap();
        let v = shipcheck_image::verify(&spec, &verify_options())
            .unwrap_or_else(|e| panic!("{} × {}: {e}", d.class.name, d.form.name()));
        let found: Vec<String> =
            v.findings.iter().map(|f| format!("{} ({:?}): {}", f.rule.id, f.severity, f.message)).collect();
        let ok = match d.class.rule {
            Some(rule) => v.findings.iter().any(|f| f.rule.id == rule),
            None => !v.findings.iter().any(|f| f.severity == shipcheck_report::Severity::Error),
        };
        eprintln!(
            "{} × {}: {}",
            d.class.name,
            d.form.name(),
            if found.is_empty() { "no findings".into() } else { found.join("; ") }
        );
        if !ok {
            wrong.push(format!("{} × {}: wanted {:?}, found {found:?}", d.class.name, d.form.name(), d.class.rule));
        }
        predictions.push(RUNNERS.map(|r| prediction(&v, r)));
    }
    assert!(wrong.is_empty(), "shipcheck did not report the intended rule:\n{}", wrong.join("\n"));
    eprintln!("verified in {:.1?}", started.elapsed());

    let daemons = Daemons::start_isolated();
    eprintln!("daemons up at {:.1?}", started.elapsed());
    let cells: Vec<(usize, usize, Runner)> = archives
        .iter()
        .enumerate()
        .flat_map(|(a, d)| RUNNERS.iter().filter(|r| r.reads(d.form)).map(move |r| (a, *r)))
        .enumerate()
        .map(|(n, (a, r))| (n, a, r))
        .collect();
    let groups = 4;
    let mut observed: Vec<Option<(Observed, Option<Vec<String>>)>> = (0..cells.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..groups)
            .map(|g| {
                let (cells, archives, daemons, work) = (&cells, &archives, &daemons, work.path());
                s.spawn(move || {
                    let mut out = Vec::new();
                    for &(n, a, r) in cells.iter().filter(|(_, _, r)| r.group() == g) {
                        let t = Instant::now();
                        let o = run(r, &archives[a], daemons, work, n);
                        eprintln!(
                            "{} × {} × {}: loaded={} {:?} ({:.1?})",
                            archives[a].class.name,
                            archives[a].form.name(),
                            r.label(),
                            o.0.loaded,
                            o.0.error,
                            t.elapsed()
                        );
                        out.push((n, o));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            for (n, o) in h.join().unwrap() {
                observed[n] = Some(o);
            }
        }
    });
    let temp = [work.path(), daemons.dir.path(), archives_dir.as_path()];
    let mut rows = Vec::new();
    for (&(n, a, r), o) in cells.iter().zip(observed) {
        let d = &archives[a];
        let (o, platforms) = o.unwrap_or_else(|| panic!("cell {n} did not run"));
        let p = &predictions[a][RUNNERS.iter().position(|x| *x == r).unwrap()];
        let all = d.platforms.len();
        let host = host_platform();
        let kept_host_only = |p: &Vec<String>| p.len() < all && p.iter().all(|x| *x == host) && !p.is_empty();
        let observed = match (o.loaded, !o.names.is_empty() || !o.ids.is_empty()) {
            (true, _) if r.host_only() && platforms.as_ref().is_some_and(kept_host_only) => "loads",
            (true, _) if platforms.as_ref().is_some_and(|p| p.len() < all) => "some-platforms",
            (true, _) => "loads",
            (false, true) => "leaves-record",
            (false, false) => "refuses",
        };
        // The outcome; and, as tests/engines.rs compares, for an engine that keeps names, the
        // names, and the image IDs where shipcheck computes them.
        let named = !r.copy_only();
        let agree = p.outcome == observed
            && (!p.loads || !named || p.names == o.names)
            && (!p.loads || !named || !p.ids_known || p.ids == o.ids);
        rows.push(Row {
            class: d.class.name,
            form: d.form,
            runner: r,
            observed,
            error: scrub(&o.error, &temp),
            names: o.names.iter().map(|n| scrub(n, &temp)).collect(),
            ids: o.ids,
            predicted: scrub(&p.text, &temp),
            agree,
            platforms,
        });
    }
    drop(daemons);

    let mut tsv = String::from("class\tform\tengine\tobserved\terror\tnames\tids\tpredicted\tagree\tplatforms\n");
    for r in &rows {
        tsv.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.class,
            r.form.name(),
            r.runner.label(),
            r.observed,
            if r.error.is_empty() { "-" } else { &r.error },
            list(&r.names),
            list(&r.ids),
            r.predicted,
            if r.agree { "yes" } else { "no" },
            r.platforms.as_deref().map_or("-".to_string(), list),
        ));
    }
    if let Some(out) = std::env::var_os("SHIPCHECK_DAMAGE_TSV") {
        std::fs::write(&out, &tsv).unwrap();
        eprintln!("table written to {}", Path::new(&out).display());
    }
    eprint!("{tsv}");
    let agreeing = rows.iter().filter(|r| r.agree).count();
    eprintln!("{} cells, {agreeing} agree with shipcheck's prediction, in {:.1?}", rows.len(), started.elapsed());
    // Every (class, form) the engines can read was measured by every engine that reads it.
    assert_eq!(rows.len(), cells.len());
    for d in &archives {
        let n = rows.iter().filter(|r| r.class == d.class.name && r.form == d.form).count();
        assert_eq!(n, RUNNERS.iter().filter(|r| r.reads(d.form)).count(), "{} × {}", d.class.name, d.form.name());
    }
    let differ: Vec<String> = rows
        .iter()
        .filter(|r| !r.agree)
        .map(|r| {
            format!(
                "{} × {} × {}: observed {} {:?} {:?} {:?}; predicted {}",
                r.class,
                r.form.name(),
                r.runner.label(),
                r.observed,
                r.error,
                r.names,
                r.platforms,
                r.predicted
            )
        })
        .collect();
    assert!(differ.is_empty(), "{} cells differ from the live engines:\n{}", differ.len(), differ.join("\n"));
}

/// The platform the engines here unpack for.
fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("linux/{arch}")
}

// Combinations the live table does not build (one damage at a time there), checked offline
// against what the measured cells and the rules of precedence must give.

fn verify_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Verified {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    shipcheck_image::verify(&SourceSpec::parse(path.to_str().unwrap()).unwrap(), &VerifyOptions::default()).unwrap()
}

/// The engine refuses, and for the damage class `class`.
fn assert_refused_for(pr: &engine::Prediction, class: &str) {
    assert_eq!(pr.verdict, Verdict::Fails, "{}", pr.outcome());
    assert_eq!(pr.despite, [class], "{}", pr.outcome());
}

fn predict_for(v: &Verified, id: &str) -> engine::Prediction {
    engine::predict(v, engine::profiles().iter().find(|p| p.id == id).unwrap())
}

#[test]
fn a_blob_missing_from_the_only_image_is_not_another_platforms() {
    // An arm64-only OCI archive, one layer missing, on this (amd64) host: no engine has a whole
    // host image to take instead, so podman copies the arm64 image and fails on the blob.
    if host_platform() != "linux/amd64" {
        return;
    }
    use shipcheck_image::write::{ArchiveDraft, Shape};
    let dir = tempfile::tempdir().unwrap();
    let mut draft = ArchiveDraft::new(Shape::Oci, vec![common::hostile::image("example.com/arm:1", "a")]);
    draft.images[0].platform = shipcheck_image::platform::Platform::parse("linux/arm64").unwrap();
    let mut b = draft.build().unwrap();
    let layer = b
        .files
        .iter()
        .find(|(p, d)| p.starts_with("blobs/") && d.starts_with(b"\x1f\x8b"))
        .map(|(p, _)| p.clone())
        .unwrap();
    b.remove(&layer);
    let v = verify_bytes(dir.path(), "arm.tar", &b.to_tar());
    assert_refused_for(&predict_for(&v, "podman@4.3"), "blob-missing-host");
}

#[test]
fn a_refusal_wins_over_a_record_left_behind() {
    // A docker save of two layers: the first's diff_id is wrong (ctr alone: fails, leaving a
    // record), the second is missing (ctr: refuses before any record exists). The refusal is
    // the verdict, though the diff_id class comes first in class order.
    use shipcheck_image::write::{ArchiveDraft, LayerDraft, LayerFile, Shape};
    let dir = tempfile::tempdir().unwrap();
    let mut img = common::hostile::image("example.com/two:1", "a");
    img.layers.push(LayerDraft {
        files: vec![LayerFile::new("etc/second", "b", 0o644)],
        compression: shipcheck_image::scan::Compression::Gzip,
    });
    let mut b = ArchiveDraft::new(Shape::DockerLegacy, vec![img]).build().unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(b.get_mut("manifest.json").unwrap()).unwrap();
    let config = manifest[0]["Config"].as_str().unwrap().to_string();
    let second = manifest[0]["Layers"][1].as_str().unwrap().to_string();
    let mut cfg: serde_json::Value = serde_json::from_slice(b.get_mut(&config).unwrap()).unwrap();
    cfg["rootfs"]["diff_ids"][0] = serde_json::json!(format!("sha256:{}", "0".repeat(64)));
    *b.get_mut(&config).unwrap() = serde_json::to_vec(&cfg).unwrap();
    b.remove(&second);
    let v = verify_bytes(dir.path(), "two.tar", &b.to_tar());
    let rules: Vec<&str> = v.findings.iter().map(|f| f.rule.id).collect();
    assert!(rules.contains(&"image/diff-id-mismatch") && rules.contains(&"image/blob-missing"), "{rules:?}");
    assert_refused_for(&predict_for(&v, "containerd@1.6"), "blob-missing-host");
}

#[test]
fn an_archive_level_damage_stops_an_import_of_nothing() {
    // A docker save without names (ctr imports nothing it lists) that has a malformed PAX
    // header: ctr reads the whole tar and refuses it.
    use shipcheck_image::write::{ArchiveDraft, Shape};
    let dir = tempfile::tempdir().unwrap();
    let mut img = common::hostile::image("example.com/x:1", "a");
    img.names.clear();
    let b = ArchiveDraft::new(Shape::DockerLegacy, vec![img]).build().unwrap();
    let tar = common::hostile::with_members(&b, &common::hostile::MALFORMED_PAX);
    let v = verify_bytes(dir.path(), "unnamed-pax.tar", &tar);
    let pr = predict_for(&v, "containerd@1.6");
    assert_eq!(pr.verdict, Verdict::Fails, "{}", pr.outcome());
    assert!(pr.error.as_deref().unwrap_or("").contains("invalid tar header"), "{}", pr.outcome());
}

#[test]
fn a_note_is_no_damage_to_load_despite() {
    // An extra member (image/unknown-entry, a note): podman loads it, and says nothing more.
    let dir = tempfile::tempdir().unwrap();
    let b = common::hostile::built(shipcheck_image::write::Shape::DockerLegacy, "a");
    let tar = common::hostile::with_members(&b, &[("NOTES.txt", tar::EntryType::Regular, b"hello\n")]);
    let v = verify_bytes(dir.path(), "notes.tar", &tar);
    assert!(v.findings.iter().any(|f| f.rule.id == "image/unknown-entry"), "{:?}", v.findings);
    let pr = predict_for(&v, "podman@4.3");
    assert_eq!(pr.outcome(), "loads");
}

#[test]
fn a_repeated_manifest_json_is_not_a_repeated_layer() {
    // manifest.json twice (appended to, the same text): a warning, and no engine is predicted
    // to fail on a layer digest because of it.
    let dir = tempfile::tempdir().unwrap();
    let mut b = common::hostile::built(shipcheck_image::write::Shape::DockerLegacy, "a");
    let manifest = b.get_mut("manifest.json").unwrap().clone();
    let tar = common::hostile::with_members(&b, &[("manifest.json", tar::EntryType::Regular, &manifest)]);
    let v = verify_bytes(dir.path(), "twice.tar", &tar);
    assert!(v.findings.iter().any(|f| f.rule.id == "image/duplicate-entry"), "{:?}", v.findings);
    for id in ["podman@4.3", "skopeo@1.9", "buildah@1.28", "docker@20.10"] {
        let pr = predict_for(&v, id);
        assert_eq!(pr.outcome(), "loads", "{id}");
    }
}
