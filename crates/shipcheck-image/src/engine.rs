//! What a container engine makes of an image archive: whether it loads, under which names, with
//! which image ID, or the error it fails with. Engines and versions are data
//! (data/engines.toml, with sources); the loading logic of each family is here, derived from
//! the engines' code and checked against the live engines in tests/engines.rs.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::scan::Compression;
use crate::source::Container;
use crate::verify::{Origin, Verified};
use shipcheck_report::Severity;

#[derive(Debug, Deserialize)]
struct Table {
    as_of: String,
    profile: Vec<Profile>,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    /// What `--engine` names it by: `podman@4.3`.
    pub id: String,
    pub label: String,
    pub engine: String,
    pub from: String,
    pub until: Option<String>,
    pub family: String,
    #[serde(default)]
    pub zstd: bool,
    pub no_manifest_error: Option<String>,
    #[serde(default)]
    pub containerd_names: bool,
    #[serde(default)]
    pub compressed_archives: bool,
    #[serde(default)]
    pub default: bool,
    /// The engine version the tests load every fixture shape into; `None`: documentation only.
    pub live: Option<String>,
    pub sources: Vec<String>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| toml::from_str(include_str!("../data/engines.toml")).expect("data/engines.toml is valid"))
}

pub fn profiles() -> &'static [Profile] {
    &table().profile
}

pub fn as_of() -> &'static str {
    &table().as_of
}

/// A version as `--engine docker@23` names it: by number only, so `23` is `23.0` (a profile
/// `from = "23.0"` takes it) and `1.1.5+ds1` is `1.1.5`. Text without numbers sorts first.
fn version_key(v: &str) -> shipcheck_core::version::Version {
    shipcheck_core::version::Version::parse(v)
        .unwrap_or(shipcheck_core::version::Version { parts: vec![0], text: v.to_string() })
}

/// The profiles `--engine podman@3.4,docker@20.10,containerd` names; a bare engine name means
/// all its profiles. Errors list what exists.
pub fn select(spec: &[String]) -> Result<Vec<&'static Profile>, String> {
    if spec.is_empty() {
        return Ok(profiles().iter().filter(|p| p.default).collect());
    }
    let mut out: Vec<&'static Profile> = Vec::new();
    for s in spec.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (engine, version) = match s.split_once('@') {
            Some((e, v)) => (e, Some(v)),
            None => (s, None),
        };
        let matching: Vec<&'static Profile> = profiles()
            .iter()
            .filter(|p| p.engine == engine)
            .filter(|p| match version {
                None => true,
                Some(v) => {
                    let k = version_key(v);
                    version_key(&p.from) <= k && p.until.as_ref().is_none_or(|u| k < version_key(u))
                }
            })
            .collect();
        if matching.is_empty() {
            let known: Vec<&str> = profiles().iter().map(|p| p.id.as_str()).collect();
            return Err(format!("no engine profile for {s:?}: known are {}", known.join(", ")));
        }
        for m in matching {
            if !out.iter().any(|o| std::ptr::eq(*o, m)) {
                out.push(m);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Loads under the names the archive gives.
    Loads,
    /// Loads, but under other names (or none).
    Renamed,
    Fails,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Loads => "loads",
            Verdict::Renamed => "loads under another name",
            Verdict::Fails => "fails",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Prediction {
    pub profile: &'static Profile,
    pub verdict: Verdict,
    /// Names as the engine lists them (`docker images` shows Docker Hub names short).
    pub names: Vec<String>,
    /// Image IDs as the engine shows them; `None` where the engine computes one shipcheck does
    /// not (containerd's conversion of a docker save manifest).
    pub ids: Vec<Option<String>>,
    /// The engine's error: its own text where known.
    pub error: Option<String>,
    /// The names the archive asks for, fully qualified.
    pub expected: Vec<String>,
}

impl Prediction {
    /// Sets the verdict from the names: loads as expected, or under other names.
    fn settled(mut self) -> Prediction {
        if self.verdict != Verdict::Fails {
            let mut got: Vec<String> = self.names.iter().map(|n| docker_normalize(n)).collect();
            got.sort();
            got.dedup();
            self.verdict = if got == self.expected { Verdict::Loads } else { Verdict::Renamed };
        }
        self
    }
}

/// A reference as Docker resolves it: `busybox` → `docker.io/library/busybox:latest`.
pub fn docker_normalize(name: &str) -> String {
    let (repo, rest) = split_tag(name);
    let first = repo.split('/').next().unwrap_or("");
    let has_domain = repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if has_domain {
        repo.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    };
    format!("{full}{rest}")
}

/// A reference as Podman stores it: names without a registry get `localhost/`.
pub fn podman_normalize(name: &str) -> String {
    let (repo, rest) = split_tag(name);
    let first = repo.split('/').next().unwrap_or("");
    let has_domain = repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_domain {
        format!("{repo}{rest}")
    } else {
        format!("localhost/{repo}{rest}")
    }
}

/// How `docker images` shows a name: Docker Hub's prefix dropped.
fn familiar(name: &str) -> String {
    let full = docker_normalize(name);
    full.strip_prefix("docker.io/library/").or_else(|| full.strip_prefix("docker.io/")).unwrap_or(&full).to_string()
}

/// (`repo`, `:tag` or `@digest` or `:latest`).
fn split_tag(name: &str) -> (&str, String) {
    if let Some((repo, digest)) = name.split_once('@') {
        return (repo, format!("@{digest}"));
    }
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], name[i..].to_string()),
        _ => (name, ":latest".to_string()),
    }
}

fn has_tag(name: &str) -> bool {
    name.contains('@') || name.rfind(':').is_some_and(|i| !name[i..].contains('/'))
}

/// A ref.name that is a whole reference (`example.com/a:1`), not just a tag (`latest`).
fn is_reference(r: &str) -> bool {
    r.contains('/') || (r.contains(':') && !r.starts_with(':'))
}

/// Rules whose error findings mean the image's bytes are damaged: every engine's load fails,
/// and convert will not copy them.
pub(crate) const DAMAGE: &[&str] = &[
    "image/blob-missing",
    "image/blob-digest-mismatch",
    "image/blob-size-mismatch",
    "image/diff-id-mismatch",
    "image/layer-count-mismatch",
    "image/layer-unreadable",
    "image/truncated-archive",
];

/// A config file of a docker save whose name is not its digest: engines load it anyway and
/// take the digest of its content as the image ID.
fn misnamed_config(f: &shipcheck_report::Finding) -> bool {
    f.rule.id == "image/blob-digest-mismatch"
        && f.message.starts_with("config ")
        && f.evidence.iter().any(|(k, v)| k == "path" && !v.starts_with("blobs/"))
}

fn fatal(v: &Verified) -> Option<&shipcheck_report::Finding> {
    v.findings.iter().find(|f| {
        f.severity == Severity::Error
            && (DAMAGE.contains(&f.rule.id) || f.rule.id == "image/invalid-json" || names_outside(f))
            && !misnamed_config(f)
    })
}

/// manifest.json names a config or layer outside the archive: no engine finds it there
/// (Docker joins it to its unpack directory, containers/image and containerd look it up among
/// the members), so every load fails.
fn names_outside(f: &shipcheck_report::Finding) -> bool {
    f.rule.id == "image/archive-unsafe-entry" && f.evidence.iter().any(|(k, _)| k == crate::verify::MANIFEST_JSON_PATH)
}

/// What Go's `archive/tar` says when the archive itself has a header it refuses: every engine
/// reads archives with it, so every engine stops with that text.
fn go_refusal(v: &Verified) -> Option<String> {
    v.findings.iter().find_map(|f| {
        (f.rule.id == "image/truncated-archive")
            .then(|| f.evidence.iter().find(|(k, _)| k == ENGINE_ERROR).map(|(_, t)| t.clone()))?
    })
}

/// What each engine says of a manifest.json path outside the archive, as observed live
/// (tests/engines.rs, `hostile_archives_load_as_predicted`): Docker joins the path to its
/// unpack directory, containerd and containers/image look it up among the members.
fn outside_error(p: &Profile, f: &shipcheck_report::Finding) -> Option<String> {
    let path = f.evidence.iter().find(|(k, _)| k == crate::verify::MANIFEST_JSON_PATH).map(|(_, v)| v.as_str())?;
    let config = f.message.starts_with("manifest.json names config");
    let unpack_dir = "/var/lib/docker/tmp/docker-import-…";
    Some(match (p.family.as_str(), config) {
        ("docker-graphdriver", _) if path.split('/').any(|c| c == "..") => {
            format!("evalSymlinksInScope: {path} is not in {unpack_dir}")
        }
        ("docker-graphdriver", _) => {
            format!("open {unpack_dir}/{}: no such file or directory", path.trim_start_matches('/'))
        }
        ("ctr-import", true) => format!("ctr: image config \"{path}\" not found"),
        ("ctr-import", false) => format!("ctr: failed to resolve layers: layer \"{path}\" not found"),
        ("podman" | "docker-archive-transport", true) => format!("loading tar component {path}: file does not exist"),
        ("podman" | "docker-archive-transport", false) => "Some layer tarfiles are missing in the tarball".into(),
        _ => return None,
    })
}

/// Evidence key: the error text engines print for this defect.
pub const ENGINE_ERROR: &str = "engine_error";

/// The image ID engines give a docker save entry: the digest of its config's content.
fn config_id(v: &Verified, i: &crate::verify::ImageInfo) -> Option<String> {
    let declared = digest_text(&i.config_digest)?;
    let actual = v.findings.iter().filter(|f| misnamed_config(f)).find_map(|f| {
        let expected = f.evidence.iter().find(|(k, _)| k == "expected").map(|(_, v)| v.as_str());
        (expected == Some(declared.as_str()))
            .then(|| f.evidence.iter().find(|(k, _)| k == "actual").map(|(_, v)| v.clone()))?
    });
    Some(actual.unwrap_or(declared))
}

/// A name an engine can parse: lower-case repository path (the registry may have capitals).
fn valid_reference(name: &str) -> bool {
    let (repo, _) = split_tag(name);
    let path = match repo.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => rest,
        _ => repo,
    };
    !path.is_empty() && path.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
}

fn digest_text(d: &Option<crate::digest::Digest>) -> Option<String> {
    d.as_ref().map(|d| d.to_string())
}

/// The names the archive asks for: RepoTags, containerd names, ref.names that are references.
fn expected(v: &Verified) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in v.images.iter().filter(|i| !i.attestation) {
        let refs = i.ref_name.iter().filter(|r| is_reference(r));
        for n in i.repo_tags.iter().chain(i.containerd_name.iter()).chain(refs) {
            let n = docker_normalize(n);
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out.sort();
    out
}

fn fails(p: &'static Profile, error: String, expected: Vec<String>) -> Prediction {
    Prediction { profile: p, verdict: Verdict::Fails, names: Vec::new(), ids: Vec::new(), error: Some(error), expected }
}

/// Predicts what `p`'s engine does with the verified archive (or, for an image in a
/// registry, what `docker pull`, `podman pull` and `ctr images pull` do with it).
pub fn predict(v: &Verified, p: &'static Profile) -> Prediction {
    if v.shape.container == Container::Registry {
        return predict_pull(v, p);
    }
    let want = expected(v);
    if let Some(text) = go_refusal(v) {
        return fails(p, text, want);
    }
    let manifest_images: Vec<&crate::verify::ImageInfo> =
        v.images.iter().filter(|i| i.origin == Origin::ManifestJson).collect();
    let index_images: Vec<&crate::verify::ImageInfo> =
        v.images.iter().filter(|i| i.origin == Origin::IndexJson && !i.attestation).collect();
    let zstd = v.images.iter().any(|i| i.layers.iter().any(|l| l.compression == Some(Compression::Zstd)));
    let broken = fatal(v).map(|f| {
        outside_error(p, f).unwrap_or_else(|| format!("the archive is damaged ({}): {}", f.rule.id, f.message))
    });
    let (names, ids): (Vec<String>, Vec<Option<String>>) = match p.family.as_str() {
        "docker-graphdriver" => {
            if !v.shape.manifest_json {
                let dir = v.shape.first_dir.clone().unwrap_or_else(|| "blobs".into());
                let text = p.no_manifest_error.clone().unwrap_or_default().replace("{dir}", &dir);
                return fails(p, text, want);
            }
            if let Some(b) = broken {
                return fails(p, b, want);
            }
            if zstd && !p.zstd {
                return fails(p, "zstd-compressed layers are not supported before Docker 23".into(), want);
            }
            if let Some(t) = manifest_images.iter().flat_map(|i| i.repo_tags.iter()).find(|t| !has_tag(t)) {
                return fails(p, format!("invalid tag \"{t}\""), want);
            }
            // A manifest.json that lists nothing (`null`, `[]`) loads nothing, successfully.
            (
                manifest_images.iter().flat_map(|i| i.repo_tags.iter().map(|t| familiar(t))).collect(),
                manifest_images.iter().map(|i| config_id(v, i)).collect(),
            )
        }
        "podman" => {
            if let Some(b) = broken {
                return fails(p, b, want);
            }
            // The oci-archive transport reads an index.json with one top-level descriptor; from
            // a nested index it takes the host's platform.
            let mut tops: Vec<String> = index_images.iter().filter_map(|i| digest_text(&top_of(i))).collect();
            tops.sort();
            tops.dedup();
            let host = host_platform();
            let nested = index_images.iter().any(|i| i.top_digest.is_some() && i.top_digest != i.manifest_digest);
            let chosen = match (tops.len(), nested) {
                (1, false) if index_images.len() == 1 => Some(index_images[0]),
                (1, true) => {
                    index_images.iter().copied().find(|i| i.platform.as_ref().is_some_and(|pl| pl.to_string() == host))
                }
                _ => None,
            };
            if let (true, Some(i)) = (v.shape.index_json, chosen) {
                let name = match (&i.containerd_name, &i.ref_name) {
                    (Some(c), _) if p.containerd_names => Some(podman_normalize(c)),
                    (_, Some(r)) if is_reference(r) => Some(podman_normalize(r)),
                    // A bare tag in ref.name becomes a repository: `localhost/<tag>:latest`.
                    (_, Some(r)) if !r.is_empty() => Some(format!("localhost/{r}:latest")),
                    _ => None,
                };
                if let Some(n) = name.as_ref().filter(|n| !valid_reference(n)) {
                    return fails(p, format!("invalid reference format: {n}: repository name must be lowercase"), want);
                }
                (name.into_iter().collect(), vec![digest_text(&i.config_digest)])
            } else if v.shape.manifest_json {
                if let Some(t) = manifest_images.iter().flat_map(|i| i.repo_tags.iter()).find(|t| !has_tag(t)) {
                    let full = docker_normalize(t);
                    return fails(
                        p,
                        format!("Invalid tag {t} ({}): does not contain a tag", full.trim_end_matches(":latest")),
                        want,
                    );
                }
                (
                    manifest_images.iter().flat_map(|i| i.repo_tags.iter().map(|t| podman_normalize(t))).collect(),
                    manifest_images.iter().map(|i| config_id(v, i)).collect(),
                )
            } else if v.shape.index_json && tops.len() == 1 {
                return fails(p, format!("choosing an image from manifest list: no image found for {host}"), want);
            } else {
                return fails(
                    p,
                    "docker-archive: loading tar component manifest.json: file does not exist".into(),
                    want,
                );
            }
        }
        "ctr-import" => {
            match v.shape.container {
                Container::Directory => {
                    return fails(p, "ctr images import reads a tar archive, not a directory".into(), want)
                }
                Container::Tar(c) if c != Compression::None && !p.compressed_archives => {
                    return fails(p, "ctr: archive/tar: invalid tar header".into(), want)
                }
                _ => {}
            }
            if v.shape.index_json {
                if index_images.is_empty() {
                    return fails(p, "ctr: image might be filtered out".into(), want);
                }
                if v.findings.iter().any(|f| f.rule.id == "image/blob-missing") {
                    return fails(p, "ctr: content digest …: not found".into(), want);
                }
                if let Some(b) = broken {
                    return fails(p, b, want);
                }
                let mut names = Vec::new();
                let mut ids = Vec::new();
                for i in v.images.iter().filter(|i| i.origin == Origin::IndexJson && !i.attestation) {
                    // ctr names an image without a full reference `import-<date>:<ref.name>`
                    // (its default --base-name).
                    let name = match (&i.containerd_name, &i.ref_name) {
                        (Some(c), _) => Some(docker_normalize(c)),
                        (None, Some(r)) if is_reference(r) => Some(docker_normalize(r)),
                        (None, Some(r)) if !r.is_empty() => Some(format!("import-{}:{r}", today())),
                        _ => None,
                    };
                    if let Some(n) = name {
                        if !names.contains(&n) {
                            names.push(n);
                            ids.push(digest_text(&top_of(i)));
                        }
                    }
                }
                let host = host_platform();
                if !index_images.iter().any(|i| i.platform.as_ref().is_some_and(|pl| pl.to_string() == host)) {
                    // ctr imports the host's platform only: a single foreign image is filtered
                    // out; a nested index without the host's platform fails to unpack.
                    let nested =
                        index_images.iter().any(|i| i.top_digest.is_some() && i.top_digest != i.manifest_digest);
                    let text = if nested {
                        format!("no match for platform in manifest: the image has no {host}")
                    } else {
                        format!("ctr: image might be filtered out (the image is not for {host}, this host's platform)")
                    };
                    return fails(p, text, want);
                }
                (names, ids)
            } else if v.shape.manifest_json && !manifest_images.is_empty() {
                let names: Vec<String> =
                    manifest_images.iter().flat_map(|i| i.repo_tags.iter().map(|t| docker_normalize(t))).collect();
                // Without names ctr imports nothing it lists, and reads nothing it could refuse.
                if names.is_empty() {
                    return Prediction {
                        profile: p,
                        verdict: Verdict::Renamed,
                        names,
                        ids: Vec::new(),
                        error: None,
                        expected: want,
                    }
                    .settled();
                }
                if let Some(f) = fatal(v) {
                    let text = match f.rule.id {
                        "image/layer-count-mismatch" => "ctr: mismatched image rootfs and manifest layers".to_string(),
                        "image/diff-id-mismatch" => "ctr: wrong diff id calculated on extraction".to_string(),
                        _ => broken.unwrap_or_default(),
                    };
                    return fails(p, text, want);
                }
                // containerd converts the docker save entry into a manifest of its own: its
                // digest is computed at import.
                let ids = manifest_images.iter().flat_map(|i| i.repo_tags.iter().map(|_| None)).collect();
                (names, ids)
            } else {
                return fails(p, "ctr: unrecognized image format".into(), want);
            }
        }
        "containerd-store" => {
            if let Some(b) = broken {
                return fails(p, b, want);
            }
            if v.shape.index_json && !index_images.is_empty() {
                let names = index_images
                    .iter()
                    .filter_map(|i| {
                        i.containerd_name.clone().or_else(|| i.ref_name.clone().filter(|r| is_reference(r)))
                    })
                    .map(|n| familiar(&n))
                    .collect();
                let ids = index_images.iter().map(|i| digest_text(&top_of(i))).collect();
                (names, ids)
            } else if v.shape.manifest_json && !manifest_images.is_empty() {
                (
                    manifest_images.iter().flat_map(|i| i.repo_tags.iter().map(|t| familiar(t))).collect(),
                    manifest_images.iter().map(|_| None).collect(),
                )
            } else {
                return fails(p, "invalid archive: does not contain a manifest.json".into(), want);
            }
        }
        "docker-archive-transport" => {
            if !v.shape.manifest_json {
                return fails(p, "loading tar component manifest.json: file does not exist".into(), want);
            }
            if manifest_images.is_empty() {
                return fails(p, "determining manifest MIME type: manifest.json lists no image".into(), want);
            }
            if manifest_images.len() > 1 {
                return fails(
                    p,
                    format!(
                        "the archive holds {} images: name one with docker-archive:FILE:REF or @N",
                        manifest_images.len()
                    ),
                    want,
                );
            }
            if let Some(b) = broken {
                return fails(p, b, want);
            }
            (
                manifest_images.iter().flat_map(|i| i.repo_tags.clone()).collect(),
                manifest_images.iter().map(|i| digest_text(&i.config_digest)).collect(),
            )
        }
        "oci-archive-transport" => {
            if !v.shape.index_json {
                return fails(p, "open index.json: no such file or directory".into(), want);
            }
            if let Some(b) = broken {
                return fails(p, b, want);
            }
            let mut tops: Vec<String> = index_images.iter().filter_map(|i| digest_text(&top_of(i))).collect();
            tops.sort();
            tops.dedup();
            if tops.len() != 1 {
                return fails(
                    p,
                    format!("index.json holds {} images: choose one with oci-archive:FILE:NAME", tops.len()),
                    want,
                );
            }
            let nested = index_images.iter().any(|i| i.top_digest.is_some() && i.top_digest != i.manifest_digest);
            let host = host_platform();
            let chosen = if nested {
                index_images.iter().copied().find(|i| i.platform.as_ref().is_some_and(|pl| pl.to_string() == host))
            } else {
                index_images.first().copied()
            };
            let Some(i) = chosen else {
                return fails(p, format!("choosing an image from manifest list: no image found for {host}"), want);
            };
            // A copy keeps no names: the names are the archive's own.
            (i.containerd_name.iter().cloned().collect(), vec![digest_text(&i.config_digest)])
        }
        other => return fails(p, format!("unknown engine family {other:?} in data/engines.toml"), want),
    };
    Prediction { profile: p, verdict: Verdict::Loads, names, ids, error: None, expected: want }.settled()
}

/// Pulling from a registry. Every engine picks the host's platform from an index (a single
/// manifest is pulled whatever its platform); Docker's graphdriver store before 23 cannot
/// unpack zstd layers. The image ID is the config digest in Docker's graphdriver store and
/// Podman, and the pulled manifest or index digest in containerd and Docker's containerd
/// store. The error texts are the engines' own (dockerd 20.10, podman 4.3, ctr 1.6, observed
/// in `crates/shipcheck-registry/tests/pull_engines.rs`).
fn predict_pull(v: &Verified, p: &'static Profile) -> Prediction {
    let images: Vec<&crate::verify::ImageInfo> = v.images.iter().filter(|i| !i.attestation).collect();
    let reference = images.iter().find_map(|i| i.ref_name.clone()).unwrap_or_default();
    let want = if reference.is_empty() { Vec::new() } else { vec![docker_normalize(&reference)] };
    let top = images.first().and_then(|i| top_of(i));
    if let Some(f) = fatal(v) {
        return fails(p, format!("the registry serves a damaged image ({}): {}", f.rule.id, f.message), want);
    }
    let host = host_platform();
    let is_index = images.iter().any(|i| i.top_digest.is_some() && i.top_digest != i.manifest_digest);
    let chosen = if is_index {
        images.iter().copied().find(|i| i.platform.as_ref().is_some_and(|pl| pl.to_string() == host))
    } else {
        images.first().copied()
    };
    let Some(image) = chosen else {
        let (os, arch) = host.split_once('/').unwrap_or(("linux", "amd64"));
        let text = match p.family.as_str() {
            "docker-graphdriver" | "containerd-store" => format!("no matching manifest for {host} in the manifest list entries"),
            "ctr-import" => format!("ctr: no match for platform in manifest {}: not found", digest_text(&top).unwrap_or_default()),
            _ => format!("choosing an image from manifest list docker://{reference}: no image found in image index for architecture {arch}, variant \"\", OS {os}"),
        };
        return fails(p, text, want);
    };
    let zstd = image.layers.iter().any(|l| l.compression == Some(Compression::Zstd));
    if zstd && p.family == "docker-graphdriver" && !p.zstd {
        return fails(
            p,
            "failed to register layer: ApplyLayer exit status 1 stdout:  stderr: unexpected EOF".into(),
            want,
        );
    }
    let config = digest_text(&image.config_digest);
    let (names, ids) = match p.family.as_str() {
        "docker-graphdriver" => (vec![familiar(&reference)], vec![config]),
        "containerd-store" => (vec![familiar(&reference)], vec![digest_text(&top)]),
        "ctr-import" => (vec![reference.clone()], vec![digest_text(&top)]),
        "podman" | "buildah" => (vec![podman_normalize(&reference)], vec![config]),
        // skopeo copies the image under whatever name its destination gives.
        _ => (want.clone(), vec![config]),
    };
    let names = if reference.is_empty() { Vec::new() } else { names };
    Prediction { profile: p, verdict: Verdict::Loads, names, ids, error: None, expected: want }.settled()
}

/// The index.json descriptor an image was reached from: its nested index, or itself.
fn top_of(i: &crate::verify::ImageInfo) -> Option<crate::digest::Digest> {
    i.top_digest.clone().or(i.manifest_digest.clone())
}

/// Today's date (UTC) as `YYYY-MM-DD`, as ctr's default base name has it.
fn today() -> String {
    let days =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() / 86_400).unwrap_or(0)
            as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The engine table and findings for one verified source.
pub fn report(
    v: &Verified,
    artifact: &str,
    selected: &[&'static Profile],
) -> (shipcheck_report::Table, Vec<shipcheck_report::Finding>) {
    use crate::rules::{ENGINE_LOAD_FAILS, ENGINE_OTHER_NAME, PODMAN3_LOCALHOST_NAME};
    use shipcheck_report::{Finding, Subject, Table};
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    for p in selected {
        let pr = predict(v, p);
        let ids: Vec<String> =
            pr.ids.iter().map(|i| i.clone().unwrap_or_else(|| "computed at import".into())).collect();
        let basis = if p.live.is_some() { "tested live" } else { "documentation" };
        let outcome = match &pr.error {
            Some(e) => format!("fails: {e}"),
            None => pr.verdict.as_str().to_string(),
        };
        rows.push(vec![
            p.id.clone(),
            outcome,
            if pr.names.is_empty() { "-".into() } else { pr.names.join(", ") },
            if ids.is_empty() { "-".into() } else { ids.join(", ") },
            basis.into(),
        ]);
        let subject = Subject::whole(artifact);
        let pulled = v.shape.container == Container::Registry;
        let (verb, remedy) = if pulled {
            ("pull", "Push an index that includes the platform this engine's host runs, with gzip-compressed layers where Docker before 23 must pull it.")
        } else {
            ("load", "Run `shipcheck convert` for a form every engine loads, or ship the format this engine reads.")
        };
        match pr.verdict {
            Verdict::Fails => findings.push(
                Finding::new(
                    &ENGINE_LOAD_FAILS,
                    subject,
                    format!("{} will not {verb} it: {}", p.label, pr.error.clone().unwrap_or_default()),
                )
                .evidence("engine", &p.id)
                .evidence("basis", basis)
                .remedy(remedy),
            ),
            Verdict::Renamed => {
                let bare_tag = p.engine == "podman"
                    && !p.containerd_names
                    && pr.names.iter().any(|n| n.starts_with("localhost/") && n.ends_with(":latest"))
                    && v.images.iter().any(|i| i.ref_name.as_deref().is_some_and(|r| !is_reference(r)));
                let rule = if bare_tag { &PODMAN3_LOCALHOST_NAME } else { &ENGINE_OTHER_NAME };
                let got = if pr.names.is_empty() { "no name".to_string() } else { pr.names.join(", ") };
                findings.push(
                    Finding::new(rule, subject, format!("{} loads it as {got}", p.label))
                        .evidence("engine", &p.id)
                        .evidence("expected_names", if pr.expected.is_empty() { "-".into() } else { pr.expected.join(", ") })
                        .evidence("image_ids", ids.join(", "))
                        .evidence("basis", basis)
                        .remedy("Give the archive full names in RepoTags and in index.json (`shipcheck convert`), or look the image up by the IDs listed."),
                );
            }
            Verdict::Loads => {}
        }
    }
    let table = Table {
        name: "engines".into(),
        columns: ["engine", "verdict", "names", "image_id", "basis"].map(String::from).to_vec(),
        rows,
    };
    (table, findings)
}

/// The platform images are unpacked for here (containerd picks the host's).
pub(crate) fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "s390x" => "s390x",
        "powerpc64" => "ppc64le",
        "riscv64" => "riscv64",
        other => other,
    };
    format!("linux/{arch}")
}

/// The engine compatibility matrix in Markdown (docs/engines.md is generated from it).
pub fn matrix_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Engine compatibility profiles\n\nGenerated by `shipcheck engines-doc` from `crates/shipcheck-image/data/engines.toml`");
    out.push_str(&format!(" (as of {}). Do not edit by hand.\n\n", as_of()));
    out.push_str("| profile | engine | versions | default | checked against | sources |\n|---|---|---|---|---|---|\n");
    for p in profiles() {
        let versions = match &p.until {
            Some(u) => format!("{} ≤ v < {u}", p.from),
            None => format!("≥ {}", p.from),
        };
        let live = p.live.clone().unwrap_or_else(|| "documentation only".into());
        out.push_str(&format!(
            "| `{}` | {} | {versions} | {} | {live} | {} |\n",
            p.id,
            p.label,
            if p.default { "yes" } else { "" },
            p.sources.join("<br>")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_select_by_number() {
        // `docker@23` is 23.0: it once compared below the profile that starts at "23.0".
        let ids = |v: &str| select(&[v.to_string()]).unwrap().iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids("docker@23"), ids("docker@23.0"));
        assert!(!ids("docker@23").is_empty());
        assert_eq!(ids("podman@3.4"), ids("podman@3.4.4"));
    }

    #[test]
    fn names_normalize_as_the_engines_do() {
        assert_eq!(docker_normalize("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(docker_normalize("foo/bar:v3"), "docker.io/foo/bar:v3");
        assert_eq!(docker_normalize("localhost:5000/w:latest"), "localhost:5000/w:latest");
        assert_eq!(podman_normalize("pretty-empty:latest"), "localhost/pretty-empty:latest");
        assert_eq!(podman_normalize("example.com/empty"), "example.com/empty:latest");
        assert_eq!(familiar("docker.io/library/alpine:3.14"), "alpine:3.14");
        assert!(!has_tag("test_image_2") && has_tag("a/b:1") && !has_tag("host:5000/a"));
    }

    #[test]
    fn profiles_select_by_engine_and_version() {
        let ids = |s: &[&str]| {
            select(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>())
                .map(|v| v.iter().map(|p| p.id.clone()).collect::<Vec<_>>())
        };
        assert_eq!(ids(&["podman@3.4"]).unwrap(), ["podman@3.4"]);
        assert_eq!(ids(&["docker@20.10"]).unwrap(), ["docker@20.10"]);
        assert_eq!(ids(&["docker@27.1"]).unwrap(), ["docker@25"]);
        assert!(ids(&["containerd"]).unwrap().len() >= 2);
        assert!(ids(&["nerdctl"]).unwrap_err().contains("known are"));
        assert!(!ids(&[]).unwrap().is_empty());
        for p in profiles() {
            assert!(!p.sources.is_empty(), "{} has no source", p.id);
        }
    }
}
