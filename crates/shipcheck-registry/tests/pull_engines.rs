//! Ground truth for pulls: images pushed to a real registry (Debian's docker-registry on
//! loopback) are pulled by the real engines — dockerd 20.10, containerd 1.6 (`ctr images
//! pull`), podman 4.3, buildah 1.28 and skopeo 1.9 — and what each does (pulled or not, names,
//! image IDs) must equal what `shipcheck image docker://… --engine` predicts from the registry.
//! Shapes: one platform, an index with the host's platform and attestations, an index without
//! it, zstd layers, and a single manifest of another platform.
//!
//! The engines need root; without root, the engines or docker-registry the test skips, except
//! under CI=true, where it fails. Engines are started as in `shipcheck-image`'s engines test
//! (the same helpers).

#[path = "../../shipcheck-image/tests/common/engines.rs"]
mod engines;

use engines::{copy_skopeo_registry, pull_buildah_registry, pull_podman, Daemons, Observed};
use shipcheck_image::engine;
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};
use shipcheck_image::VerifyOptions;
use shipcheck_registry::testing::{push_layout, Registry};
use shipcheck_registry::transfer::Options;
use shipcheck_registry::{Client, Reference};

fn image(platform: &str, compression: Compression) -> ImageDraft {
    ImageDraft {
        platform: Platform::parse(platform).unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("etc/os-release", format!("ID=test {platform}\n").into_bytes(), 0o644)],
            compression,
        }],
        names: vec!["shape:1".into()],
    }
}

fn shapes() -> Vec<(&'static str, ArchiveDraft)> {
    let host = "linux/amd64";
    let mut multi =
        ArchiveDraft::new(Shape::Oci, vec![image(host, Compression::Gzip), image("linux/arm64", Compression::Gzip)]);
    multi.multi_platform = true;
    multi.attestations = true;
    let mut foreign_index = ArchiveDraft::new(
        Shape::Oci,
        vec![image("linux/arm64", Compression::Gzip), image("linux/arm/v7", Compression::Gzip)],
    );
    foreign_index.multi_platform = true;
    vec![
        ("one-platform", ArchiveDraft::new(Shape::Oci, vec![image(host, Compression::Gzip)])),
        ("index-with-attestations", multi),
        ("index-without-host", foreign_index),
        ("zstd", ArchiveDraft::new(Shape::Oci, vec![image(host, Compression::Zstd)])),
        ("foreign-single", ArchiveDraft::new(Shape::Oci, vec![image("linux/arm64", Compression::Gzip)])),
    ]
}

#[test]
fn engines_pull_as_predicted() {
    if !engines::available() || !shipcheck_registry::testing::available() {
        return;
    }
    if std::env::consts::ARCH != "x86_64" {
        eprintln!("skipping: the shapes assume an amd64 host");
        return;
    }
    let daemons = Daemons::start();
    let reg = Registry::start(None);
    let work = tempfile::tempdir().unwrap();
    let client = Client::default();
    let profiles = engine::select(
        &["docker@20.10", "podman@4.3", "containerd@1.6", "skopeo@1.9", "buildah@1.28"].map(String::from),
    )
    .unwrap();
    let mut disagreements = Vec::new();
    let mut pairs = 0;
    for (i, (name, draft)) in shapes().into_iter().enumerate() {
        let dir = work.path().join(name);
        draft.build().unwrap().write_dir(&dir).unwrap();
        let reference = format!("{}/shapes/{name}:1", reg.host);
        let r = Reference::parse(&reference).unwrap();
        push_layout(&client, &dir, &r, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v = shipcheck_registry::remote::verify(
            &client,
            &r,
            &format!("docker://{reference}"),
            &VerifyOptions::default(),
            4,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        for p in &profiles {
            let predicted = engine::predict(&v, p);
            let state = work.path().join(format!("state-{i}-{}", p.id));
            let observed: Observed = match p.id.as_str() {
                "docker@20.10" => daemons.pull_docker(&reference),
                "containerd@1.6" => daemons.pull_ctr(&reference, &format!("ns{i}")),
                "podman@4.3" => pull_podman(&reference, &state),
                "buildah@1.28" => pull_buildah_registry(&reference, &state),
                _ => copy_skopeo_registry(&reference, &state),
            };
            pairs += 1;
            let loads = predicted.verdict.loaded();
            let mut problems = Vec::new();
            if observed.loaded != loads {
                problems.push(format!(
                    "pulled {} (predicted {:?}: {:?}); engine said {:?}",
                    observed.loaded, predicted.verdict, predicted.error, observed.error
                ));
            }
            if let (false, Some(e)) = (observed.loaded, &predicted.error) {
                // skopeo logs through logrus, which escapes the quotes of the message.
                if !observed.error.replace('\\', "").contains(e.trim_start_matches("ctr: ")) {
                    problems.push(format!("error {:?}, predicted {e:?}", observed.error));
                }
            }
            // Names and IDs where the engine lists what it pulled.
            if observed.loaded && matches!(p.id.as_str(), "docker@20.10" | "podman@4.3" | "containerd@1.6") {
                let mut ids: Vec<String> = predicted.ids.iter().flatten().cloned().collect();
                ids.sort();
                if observed.names != predicted.names || observed.ids != ids {
                    problems.push(format!(
                        "names {:?} ids {:?}, predicted {:?} {:?}",
                        observed.names, observed.ids, predicted.names, ids
                    ));
                }
            }
            if !problems.is_empty() {
                disagreements.push(format!("{name} on {}: {}", p.id, problems.join("; ")));
            }
        }
    }
    eprintln!("{} of {pairs} (shape, engine) pulls as predicted", pairs - disagreements.len());
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
