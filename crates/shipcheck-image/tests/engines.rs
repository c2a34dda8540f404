//! Ground truth for the engine predictions: every generated fixture shape and every corpus
//! archive is loaded into the real engines from Debian — dockerd 20.10 (vfs, no iptables, no
//! bridge), containerd 1.6 (`ctr images import`, native snapshotter), podman 4.3 (vfs),
//! buildah 1.28 (`pull docker-archive:`) and skopeo 1.9 (`copy docker-archive:`/`oci-archive:`)
//! — each started here with private state on unix sockets
//! in a temp dir, and what each reports (loaded or not, names, image IDs) must equal
//! shipcheck's prediction for its profile. The output of `shipcheck convert` is loaded too.
//!
//! Profiles without a live engine here (Podman 3.4, Docker 23/25, the containerd image store,
//! containerd 1.7+) rest on their documented sources in data/engines.toml; this test does not
//! cover them, and the report marks them "documentation only".
//!
//! The engines need root. Without root or the binaries the test skips, except under CI=true,
//! where it fails.

use std::path::{Path, PathBuf};

mod common;
use common::corpus;
use common::engines::*;
use shipcheck_image::engine::{self, Verdict};
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};
use shipcheck_image::{SourceSpec, VerifyOptions};

fn image(platform: &str, name: &str, compression: Compression) -> ImageDraft {
    ImageDraft {
        platform: Platform::parse(platform).unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("etc/shape", format!("{platform} {name}"), 0o644)],
            compression,
        }],
        names: vec![name.to_string()],
    }
}

/// Every shape the issue names, written by the deterministic writer.
fn shapes(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut write = |label: &str, draft: ArchiveDraft, edit: &dyn Fn(&mut shipcheck_image::write::Built)| {
        let mut built = draft.build().unwrap();
        edit(&mut built);
        let path = dir.join(format!("{label}.tar"));
        std::fs::write(&path, built.to_tar()).unwrap();
        out.push((label.to_string(), path));
    };
    let amd = |name: &str| image("linux/amd64", name, Compression::Gzip);
    write("legacy", ArchiveDraft::new(Shape::DockerLegacy, vec![amd("example.com/app:1.0")]), &|_| {});
    write("legacy-short-name", ArchiveDraft::new(Shape::DockerLegacy, vec![amd("app:1.0")]), &|_| {});
    write("hybrid", ArchiveDraft::new(Shape::Hybrid, vec![amd("example.com/app:1.0")]), &|_| {});
    write("oci", ArchiveDraft::new(Shape::Oci, vec![amd("example.com/app:1.0")]), &|_| {});
    let mut buildkit = ArchiveDraft::new(Shape::Oci, vec![amd("example.com/app:latest")]);
    buildkit.ref_name_tag_only = true;
    write("oci-buildkit-tag-only", buildkit.clone(), &|_| {});
    // The BuildKit export without the containerd annotation: only `ref.name: latest` is left.
    write("oci-ref-tag-only-no-containerd-name", buildkit, &|b| {
        if let Some(index) = b.get_mut("index.json") {
            let text = String::from_utf8(index.clone())
                .unwrap()
                .replace("\"io.containerd.image.name\":\"example.com/app:latest\",", "");
            *index = text.into_bytes();
        }
    });
    write(
        "legacy-two-images",
        ArchiveDraft::new(Shape::DockerLegacy, vec![amd("example.com/app:1.0"), amd("example.com/tool:2.0")]),
        &|_| {},
    );
    write(
        "hybrid-zstd",
        ArchiveDraft::new(Shape::Hybrid, vec![image("linux/amd64", "example.com/app:1.0", Compression::Zstd)]),
        &|_| {},
    );
    // Docker 25.0.0–25.0.3 saved some images with no layers.
    let mut empty = amd("example.com/empty:1.0");
    empty.layers.clear();
    write("hybrid-no-layers", ArchiveDraft::new(Shape::Hybrid, vec![empty]), &|_| {});
    let mut multi = ArchiveDraft::new(
        Shape::Hybrid,
        vec![amd("example.com/app:1.0"), image("linux/arm64", "example.com/app:1.0", Compression::Gzip)],
    );
    multi.multi_platform = true;
    multi.attestations = true;
    write("hybrid-multi-platform-attestations", multi, &|_| {});
    out
}

/// Loads `path` with `p`'s live engine, in state of its own named by `key` (a ctr namespace,
/// a store or output directory under `work`).
fn load_into(p: &engine::Profile, path: &Path, daemons: &Daemons, work: &Path, key: &str) -> Observed {
    let state = |name: &str| work.join(format!("{name}{key}"));
    match p.engine.as_str() {
        "docker" => daemons.load_docker(path),
        "containerd" => daemons.load_ctr(path, &format!("ns{key}")),
        "ctr-all-platforms" => daemons.load_ctr_all_platforms(path, &format!("all{key}")),
        "podman" => load_podman(path, &state("podman")),
        "skopeo" => copy_skopeo("docker-archive", path, &state("skopeo")),
        "skopeo-oci" => copy_skopeo("oci-archive", path, &state("skopeo-oci")),
        "buildah" => pull_buildah(path, &state("buildah")),
        "buildah-oci" => pull_buildah_listed(&format!("oci-archive:{}", path.display()), &state("buildah-oci")),
        other => panic!("no live harness for {other}"),
    }
}

/// Loads one archive into every live engine and compares with the predictions: one line per
/// engine, and whether all agreed.
fn compare(label: &str, path: &Path, daemons: &Daemons, work: &Path, n: usize) -> Vec<(bool, String)> {
    let live: Vec<&'static engine::Profile> = engine::profiles().iter().filter(|p| p.live.is_some()).collect();
    let verified = SourceSpec::parse(path.to_str().unwrap())
        .map_err(|e| e.to_string())
        .and_then(|spec| shipcheck_image::verify(&spec, &VerifyOptions::default()).map_err(|e| e.to_string()));
    let mut out = Vec::new();
    for p in &live {
        // Not an image at all (shipcheck refuses it): every engine is predicted to fail.
        let predicted = verified.as_ref().ok().map(|v| engine::predict(v, p));
        let observed = load_into(p, path, daemons, work, &n.to_string());
        let (loaded, names, ids, comparable, verdict, error) = match &predicted {
            Some(pr) => {
                let (names, ids) = listed(pr);
                (
                    pr.verdict.loaded(),
                    names,
                    ids,
                    pr.ids.iter().all(|i| i.is_some()),
                    pr.verdict.as_str(),
                    pr.error.clone(),
                )
            }
            None => (false, Vec::new(), Vec::new(), true, "fails", verified.as_ref().err().cloned()),
        };
        // IDs shipcheck does not compute (containerd's conversion of docker saves) are not
        // compared; skopeo copies and keeps no names, so only whether it reads the archive is.
        let copy_only = matches!(p.engine.as_str(), "skopeo" | "skopeo-oci" | "buildah" | "buildah-oci");
        let agree = loaded == observed.loaded
            && (!loaded || copy_only || names == observed.names)
            && (!loaded || copy_only || !comparable || ids == observed.ids);
        out.push((
            agree,
            format!(
                "{} {label} × {}: predicted {verdict} {names:?} {ids:?} {error:?}; observed loaded={} {:?} {:?} {:?}",
                if agree { "ok  " } else { "DIFF" },
                p.id,
                observed.loaded,
                observed.names,
                observed.ids,
                observed.error
            ),
        ));
    }
    out
}

#[test]
fn generated_shapes_load_as_predicted() {
    if !available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let daemons = Daemons::start();
    let mut lines = Vec::new();
    for (n, (label, path)) in shapes(work.path()).into_iter().enumerate() {
        lines.extend(compare(&label, &path, &daemons, work.path(), n));
    }
    drop(daemons);
    let diffs = lines.iter().filter(|(ok, _)| !ok).count();
    let report: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(diffs, 0, "predictions that differ from the live engines:\n{}", report.join("\n"));
    eprintln!("{}", report.join("\n"));
}

/// Hostile archives (issue 12): a malformed PAX record in the archive and in a layer, and a
/// manifest.json naming /etc/passwd and ../../etc/shadow. No engine may be predicted to load
/// what it refuses.
#[test]
fn hostile_archives_load_as_predicted() {
    if !available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let archives = [
        ("malformed-pax", common::hostile::malformed_pax_archive()),
        ("malformed-pax-in-layer", common::hostile::malformed_pax_layer_archive()),
        ("manifest-json-escapes", common::hostile::escaping_manifest_json()),
        ("manifest-json-layer-climbs", common::hostile::manifest_json_naming(None, Some("../../../../etc/shadow"))),
        ("manifest-json-layer-absolute", common::hostile::manifest_json_naming(None, Some("/etc/shadow"))),
    ];
    let daemons = Daemons::start();
    let mut lines = Vec::new();
    for (n, (label, bytes)) in archives.into_iter().enumerate() {
        let path = work.path().join(format!("{label}.tar"));
        std::fs::write(&path, bytes).unwrap();
        lines.extend(compare(label, &path, &daemons, work.path(), 100 + n));
    }
    drop(daemons);
    let diffs = lines.iter().filter(|(ok, _)| !ok).count();
    let report: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(diffs, 0, "predictions that differ from the live engines:\n{}", report.join("\n"));
    eprintln!("{}", report.join("\n"));
}

/// Corpus archives whose engine behaviour shipcheck does not predict yet, with the reason.
/// Every other (archive, engine) pair must agree with the live engine. (Empty: the last one,
/// a pre-Docker-1.10 save that Docker's legacy loader reads, is predicted now.)
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[];

#[test]
fn corpus_archives_load_as_predicted() {
    if !available() {
        return;
    }
    let Some(corpus) = corpus() else { return };
    let mut archives: Vec<PathBuf> = Vec::new();
    for top in std::fs::read_dir(corpus.join("images")).unwrap().flatten() {
        if !top.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(top.path()).unwrap().flatten() {
            if f.path().is_file() && f.file_name().to_string_lossy().contains(".tar") {
                archives.push(f.path());
            }
        }
    }
    archives.sort();
    assert!(archives.len() > 50, "{} archives", archives.len());
    let work = tempfile::tempdir().unwrap();
    let daemons = Daemons::start();
    let mut lines = Vec::new();
    for (n, path) in archives.iter().enumerate() {
        let label = path.strip_prefix(corpus.join("images")).unwrap().display().to_string();
        lines.extend(compare(&label, path, &daemons, work.path(), n));
    }
    drop(daemons);
    let known = |line: &str| KNOWN_DISAGREEMENTS.iter().any(|(a, e, _)| line.contains(&format!(" {a} × {e}:")));
    let unexpected: Vec<&str> = lines.iter().filter(|(ok, l)| !ok && !known(l)).map(|(_, l)| l.as_str()).collect();
    let agreeing = lines.iter().filter(|(ok, _)| *ok).count();
    eprintln!("{agreeing} of {} (archive, engine) pairs agree", lines.len());
    assert!(unexpected.is_empty(), "predictions that differ from the live engines:\n{}", unexpected.join("\n"));
    // A listed disagreement that now agrees must leave the list.
    for (a, e, _) in KNOWN_DISAGREEMENTS {
        assert!(
            lines.iter().any(|(ok, l)| !ok && l.contains(&format!(" {a} × {e}:"))),
            "{a} × {e} agrees now: remove it from KNOWN_DISAGREEMENTS"
        );
    }
}

/// `shipcheck convert` output of every shape loads on every live engine, under the names the
/// source gives, as predicted.
#[test]
fn converted_shapes_load_on_every_engine() {
    if !available() {
        return;
    }
    use shipcheck_image::convert::{convert, Format, Options};
    let work = tempfile::tempdir().unwrap();
    let daemons = Daemons::start();
    let all: Vec<&'static engine::Profile> = engine::profiles().iter().collect();
    let mut lines = Vec::new();
    for (n, (label, path)) in shapes(work.path()).into_iter().enumerate() {
        // A multi-image archive: convert writes one image, selected as skopeo selects it.
        let source = if label == "legacy-two-images" {
            format!("docker-archive:{}:@1", path.display())
        } else {
            path.display().to_string()
        };
        let spec = SourceSpec::parse(&source).unwrap();
        let verified = shipcheck_image::verify(&spec, &VerifyOptions::default()).unwrap();
        let out = work.path().join(format!("{label}.converted.tar"));
        // The attested shape keeps its attestations: a nested index every engine must still load.
        let keep = label.contains("attestations");
        let opts = Options { format: Format::DockerArchive, platform: None, engines: &all, keep_attestations: keep };
        let written = convert(&spec, &verified, &out, &opts).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(written.kept_attestations, usize::from(keep), "{label}");
        // The names the source gives, fully qualified (a source with none gets none).
        let first = engine::profiles().iter().find(|p| p.family == "docker-graphdriver").unwrap();
        assert_eq!(written.names, engine::predict(&verified, first).expected, "{label}");
        // Every profile, live or documented, is predicted to load the output under its names.
        let out_verified =
            shipcheck_image::verify(&SourceSpec::parse(out.to_str().unwrap()).unwrap(), &VerifyOptions::default())
                .unwrap();
        for p in &all {
            let pr = engine::predict(&out_verified, p);
            assert_eq!(pr.verdict, Verdict::Loads, "{label} converted × {}: {pr:?}", p.id);
        }
        lines.extend(compare(&format!("{label} (converted)"), &out, &daemons, work.path(), 100 + n));
    }
    drop(daemons);
    let report: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        lines.iter().all(|(ok, _)| *ok),
        "converted output the engines did not load as predicted:\n{}",
        report.join("\n")
    );
    assert!(lines.iter().all(|(_, l)| l.contains("observed loaded=true")), "{}", report.join("\n"));
}

/// Every corpus archive that convert accepts (undamaged; one image, or the host's platform)
/// converts into an archive that every live engine loads under the source's names.
#[test]
fn converted_corpus_archives_load_on_every_engine() {
    if !available() {
        return;
    }
    let Some(corpus) = corpus() else { return };
    use shipcheck_image::convert::{convert, Format, Options};
    let all: Vec<&'static engine::Profile> = engine::profiles().iter().collect();
    let mut archives: Vec<PathBuf> = Vec::new();
    for top in std::fs::read_dir(corpus.join("images")).unwrap().flatten() {
        for f in std::fs::read_dir(top.path()).into_iter().flatten().flatten() {
            if f.path().is_file() && f.file_name().to_string_lossy().contains(".tar") {
                archives.push(f.path());
            }
        }
    }
    archives.sort();
    let work = tempfile::tempdir().unwrap();
    let daemons = Daemons::start();
    let (mut converted, mut refused) = (0, 0);
    let mut lines = Vec::new();
    for (n, path) in archives.iter().enumerate() {
        let label = path.strip_prefix(corpus.join("images")).unwrap().display().to_string();
        let Ok(spec) = SourceSpec::parse(path.to_str().unwrap()) else { continue };
        let Ok(verified) = shipcheck_image::verify(&spec, &VerifyOptions::default()) else {
            refused += 1;
            continue;
        };
        let out = work.path().join(format!("c{n}.tar"));
        match convert(
            &spec,
            &verified,
            &out,
            &Options { format: Format::DockerArchive, platform: None, engines: &all, keep_attestations: false },
        ) {
            Ok(_) => converted += 1,
            Err(_) => {
                refused += 1;
                continue;
            }
        }
        lines.extend(compare(&format!("{label} (converted)"), &out, &daemons, work.path(), 1000 + n));
        let _ = std::fs::remove_file(&out);
    }
    drop(daemons);
    eprintln!("{converted} corpus archives converted, {refused} refused (damaged, several images, or not images)");
    // Every prediction must hold; and every engine must load the output, except that ctr
    // imports only the host's platform (an arm64-only image is filtered out on amd64, as predicted).
    let foreign = |l: &str| l.contains("is not for linux/") || l.contains("no match for platform");
    let bad: Vec<&str> = lines
        .iter()
        .filter(|(ok, l)| !ok || (!l.contains("observed loaded=true") && !foreign(l)))
        .map(|(_, l)| l.as_str())
        .collect();
    assert!(converted > 30, "{converted}");
    assert!(bad.is_empty(), "converted corpus archives the engines did not load as predicted:\n{}", bad.join("\n"));
}

/// Archives too damaged to read as images (issue 16, "every input gets a row"): not a tar, a
/// gzip stream of garbage, cut inside the first header, empty. shipcheck reports them as
/// damaged (not input errors) and predicts each engine's refusal in its own words.
#[test]
fn broken_archives_are_refused_in_each_engines_words() {
    if !available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &garbage).unwrap();
    let legacy =
        ArchiveDraft::new(Shape::DockerLegacy, vec![image("linux/amd64", "example.com/app:1.0", Compression::Gzip)])
            .build()
            .unwrap()
            .to_tar();
    let cases: [(&str, Vec<u8>); 4] = [
        ("not-a-tar", garbage),
        ("gzip-of-garbage", gz.finish().unwrap()),
        ("cut-in-first-header", legacy[..300].to_vec()),
        ("empty", Vec::new()),
    ];
    let daemons = Daemons::start();
    let mut lines = Vec::new();
    for (n, (label, bytes)) in cases.into_iter().enumerate() {
        let path = work.path().join(format!("{label}.tar"));
        std::fs::write(&path, bytes).unwrap();
        let spec = SourceSpec::parse(path.to_str().unwrap()).unwrap();
        let err = shipcheck_image::verify(&spec, &VerifyOptions::default()).expect_err(label);
        let broken = err.broken().unwrap_or_else(|| panic!("{label}: {err} is not called damaged"));
        for p in engine::profiles().iter().filter(|p| p.live.is_some()) {
            let predicted = engine::predict_broken(&broken, p);
            let observed = load_into(p, &path, &daemons, work.path(), &format!("broken{n}"));
            // The predicted text, its `…` standing for temporary paths, is in the engine's last
            // line; podman lists every transport's error, and the docker-archive one is not last.
            let text = predicted.error.clone().unwrap_or_default();
            // As the engine would print it on a default install: Docker's data root is
            // /var/lib/docker, and skopeo's log lines escape quotes.
            let seen = observed
                .error
                .replace(&format!("{}/docker-data", daemons.dir.path().display()), "/var/lib/docker")
                .replace('\\', "");
            let said = p.engine == "podman"
                || text.split('…').map(|part| part.trim_start_matches("ctr: ")).all(|part| seen.contains(part));
            let agree = !observed.loaded && predicted.verdict == Verdict::Fails && said;
            lines.push((
                agree,
                format!(
                    "{} {label} × {}: predicted {text:?}; observed loaded={} {:?}",
                    if agree { "ok  " } else { "DIFF" },
                    p.id,
                    observed.loaded,
                    observed.error
                ),
            ));
        }
    }
    drop(daemons);
    let report: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert!(lines.iter().all(|(ok, _)| *ok), "predictions that differ from the live engines:\n{}", report.join("\n"));
    eprintln!("{}", report.join("\n"));
}
