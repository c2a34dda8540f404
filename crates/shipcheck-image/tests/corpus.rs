//! Every archive and layout in ../shared/corpus/images is read; each one's findings are pinned
//! in a snapshot, and the verdicts are compared with PROVENANCE.tsv's `integrity_check` column
//! (an independent inspection). Where the two disagree, the test names the case and says who is
//! right and why; any other disagreement fails.

mod common;
use common::corpus;

use shipcheck_image::{verify, SourceSpec, VerifyOptions};
use shipcheck_report::Severity;

/// Does the independent inspection say the image is defective? `None` where it made no claim.
fn provenance_defect(check: &str) -> Option<bool> {
    let c = check.trim();
    if c == "-" || c.is_empty() {
        return None;
    }
    if c.contains("absent") || c.contains("!=") || c.contains("mismatch") {
        return Some(true);
    }
    // "blobs 2/3 hash-ok", "diff_id verified 0/1": fewer good than total is a defect.
    for word in c.split(|ch: char| !ch.is_ascii_digit() && ch != '/') {
        if let Some((n, m)) = word.split_once('/') {
            if let (Ok(n), Ok(m)) = (n.parse::<u32>(), m.parse::<u32>()) {
                if n < m {
                    return Some(true);
                }
            }
        }
    }
    Some(false)
}

/// Cases where shipcheck and the inspection disagree on purpose, with the reason.
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "containerd-archives__busybox.amd64.tar",
        "shipcheck is right: '19 referenced blobs absent' are the other platforms of a partial containerd-store export (ctr export --platform); the exported platform is complete and loads everywhere. Reported as a note (image/blob-missing, partial export), not an error.",
    ),
    ("containerd-archives__busybox.arm64.tar", "same partial containerd-store export as busybox.amd64.tar"),
    ("containerd-archives__busybox.armv7.tar", "same partial containerd-store export as busybox.amd64.tar"),
    (
        "buildkit-docker.tar",
        "shipcheck is stricter: the bytes verify (hash-ok), but the image has no layers, which Docker 25.0.x wrote by mistake and older engines refuse: a warning (image/no-layers).",
    ),
    ("buildkit-oci.tar", "same zero-layer BuildKit export as buildkit-docker.tar"),
    (
        "hello-world-v25.tar",
        "shipcheck is right: the inspection checked hashes only; index.json has \"manifests\": null (the Docker 25.0.0-25.0.3 save bug), so engines that read index.json find no image (image/null-manifest, image/hybrid-mismatch).",
    ),
    (
        "scratch-dir-5pec!@L",
        "the inspection made no claim ('-'); it is a containers/image dir: layout (skopeo copy … dir:), which shipcheck reads and verifies clean: every blob hashes to its name.",
    ),
    (
        "null_manifest.tar",
        "the inspection made no claim ('-'); manifest.json is the literal `null`, which shipcheck reports (image/null-manifest).",
    ),
    (
        "pkg__v1__tarball__testdata__no_manifest.tar",
        "the inspection made no claim ('-'); a pre-Docker-1.10 save, which only Docker's legacy loader (before 25) reads: shipcheck warns (image/legacy-save), and predicts Docker 20.10 loads it (tests/engines.rs checks that live).",
    ),
];

#[test]
fn every_corpus_image_is_read_and_pinned() {
    let Some(root) = corpus() else { return };
    let tsv = std::fs::read_to_string(root.join("images/PROVENANCE.tsv")).unwrap();
    let mut lines = Vec::new();
    let mut unexpected = Vec::new();
    let mut agreed = 0;
    let mut used = std::collections::BTreeSet::new();
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (local, integrity) = (cols[0], cols[17]);
        let path = root.join(local);
        let spec = SourceSpec::parse(&path.display().to_string()).unwrap();
        let (summary, ours) = match verify(&spec, &VerifyOptions::default()) {
            Ok(v) => {
                let mut rules: Vec<String> =
                    v.findings.iter().map(|f| format!("{}:{}", f.severity, f.rule.id)).collect();
                rules.sort();
                rules.dedup_by(|a, b| a == b);
                let defect = v.findings.iter().any(|f| f.severity >= Severity::Warning);
                (
                    format!("{} | {}", v.kind, if rules.is_empty() { "clean".into() } else { rules.join(" ") }),
                    Some(defect),
                )
            }
            // Not an image at all: the inspection makes no integrity claim on those either.
            Err(e) => (format!("cannot check: {}", e.to_string().replace(&path.display().to_string(), "<path>")), None),
        };
        lines.push(format!("{local}\n    {summary}"));
        let theirs = provenance_defect(integrity);
        let known = DISAGREEMENTS.iter().any(|(k, _)| local.ends_with(k));
        match (theirs, ours) {
            (None, None) => agreed += 1,
            (Some(t), Some(o)) if t == o => agreed += 1,
            _ if known => {
                used.insert(
                    DISAGREEMENTS.iter().find(|(k, _)| local.ends_with(k)).map(|(k, _)| *k).unwrap_or_default(),
                );
            }
            _ => unexpected.push(format!(
                "{local}: provenance says {integrity:?} (defect={theirs:?}), shipcheck says defect={ours:?}: {summary}"
            )),
        }
    }
    eprintln!("corpus: {agreed} verdicts agree with PROVENANCE.tsv, {} listed disagreements", used.len());
    insta::assert_snapshot!("corpus_findings", lines.join("\n"));
    assert!(
        unexpected.is_empty(),
        "verdicts that disagree with PROVENANCE.tsv without a stated reason:\n{}",
        unexpected.join("\n")
    );
    let stale: Vec<&str> = DISAGREEMENTS.iter().map(|(k, _)| *k).filter(|k| !used.contains(k)).collect();
    assert!(stale.is_empty(), "listed disagreements that now agree (remove them): {stale:?}");
    assert!(agreed >= 70, "only {agreed} agreements");
}
