//! What a container engine makes of an image archive: whether it loads, under which names, with
//! which image ID, or the error it fails with. Engines and versions are data
//! (data/engines.toml, with sources); the loading logic of each [`Family`] is here
//! (`archive.rs` for `docker load` and its kin, `pull.rs` for pulls), derived from the engines'
//! code and checked against the live engines in tests/engines.rs.

mod archive;
mod broken;
mod ctr_import;
pub mod damage;
mod pull;

use std::sync::OnceLock;

use serde::Deserialize;

use crate::source::Container;
use crate::verify::Verified;
use shipcheck_core::reference;

pub use archive::predict;
pub use broken::predict_broken;

#[derive(Debug, Deserialize)]
struct Table {
    as_of: String,
    profile: Vec<Profile>,
    /// What live engines did with each damage class, per archive form.
    #[serde(default)]
    damage: Vec<damage::Cell>,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    /// What `--engine` names it by: `podman@4.3`.
    pub id: String,
    pub label: String,
    pub engine: String,
    pub from: String,
    pub until: Option<String>,
    pub family: Family,
    /// Unpacks zstd-compressed layers (Docker's graphdriver store before 23 does not).
    #[serde(default = "yes")]
    pub zstd: bool,
    pub no_manifest_error: Option<String>,
    /// Docker's legacy loader reads a save from before Docker 1.10 (`repositories`, v1 layer
    /// directories); Docker 25 removed it.
    #[serde(default)]
    pub legacy_loader: bool,
    #[serde(default)]
    pub containerd_names: bool,
    #[serde(default)]
    pub compressed_archives: bool,
    /// `ctr images import --all-platforms`: content for every platform, not just the host's.
    #[serde(default)]
    pub all_platforms: bool,
    /// Stores what it reads under the archive's own name (`buildah pull oci-archive:`), which
    /// must then be a valid name; a copy (skopeo) keeps none.
    #[serde(default)]
    pub names_images: bool,
    #[serde(default)]
    pub default: bool,
    /// The engine version the tests load every fixture shape into; `None`: documentation only.
    pub live: Option<String>,
    pub sources: Vec<String>,
}

/// The loading logic a profile follows; data/engines.toml names it in kebab case, and a family
/// the code does not know fails to load the table (so the tests), not a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// `docker load` into Docker's graphdriver store (moby's image/tarexport).
    DockerGraphdriver,
    /// `docker load` into Docker's containerd image store.
    ContainerdStore,
    /// `podman load` (containers/common libimage: oci-archive, then docker-archive).
    Podman,
    /// `ctr images import` (containerd's archive importer).
    CtrImport,
    /// containers/image's `docker-archive:` transport (skopeo, buildah pull).
    DockerArchiveTransport,
    /// containers/image's `oci-archive:` transport (skopeo).
    OciArchiveTransport,
}

impl Family {
    /// The name data/engines.toml gives it.
    pub fn name(self) -> &'static str {
        match self {
            Family::DockerGraphdriver => "docker-graphdriver",
            Family::ContainerdStore => "containerd-store",
            Family::Podman => "podman",
            Family::CtrImport => "ctr-import",
            Family::DockerArchiveTransport => "docker-archive-transport",
            Family::OciArchiveTransport => "oci-archive-transport",
        }
    }
}

/// Compares with the name data/engines.toml uses (`p.family == "podman"`).
impl PartialEq<&str> for Family {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn yes() -> bool {
    true
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| toml::from_str(include_str!("../../data/engines.toml")).expect("data/engines.toml is valid"))
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

/// Why `--engine` named no profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// No profile has this engine (and version); `known` lists every profile id.
    #[error("no engine profile for {spec:?}: known are {}", known.join(", "))]
    Unknown { spec: String, known: Vec<String> },
}

impl From<SelectError> for String {
    fn from(e: SelectError) -> String {
        e.to_string()
    }
}

/// The profiles `--engine podman@3.4,docker@20.10,containerd` names; a bare engine name means
/// all its profiles. Errors list what exists.
pub fn select(spec: &[String]) -> Result<Vec<&'static Profile>, SelectError> {
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
            let known = profiles().iter().map(|p| p.id.clone()).collect();
            return Err(SelectError::Unknown { spec: s.to_string(), known });
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
    /// Fails, but leaves an image record (its names, its ID) in the store.
    FailsLeavingRecord,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Loads => "loads",
            Verdict::Renamed => "loads under another name",
            Verdict::Fails => "fails",
            Verdict::FailsLeavingRecord => "fails, leaving an image record",
        }
    }

    /// The engine's command succeeds.
    pub fn loaded(self) -> bool {
        matches!(self, Verdict::Loads | Verdict::Renamed)
    }
}

#[derive(Debug, Clone)]
pub struct Prediction {
    pub profile: &'static Profile,
    pub verdict: Verdict,
    /// Names as the engine lists them (`docker images` shows Docker Hub names short).
    pub names: Vec<String>,
    /// Image IDs as the engine shows them; `None` where the engine computes one shipcheck does
    /// not (Docker's containerd store converting a docker save manifest, Docker's legacy loader
    /// converting a pre-1.10 save), or where a fact it needs was not read (ctr's manifest for a
    /// docker save under `--fast`).
    pub ids: Vec<Option<String>>,
    /// The engine's error: its own text where known.
    pub error: Option<String>,
    /// The names the archive asks for, fully qualified.
    pub expected: Vec<String>,
    /// The damage classes the engine loads despite (`diff-id-wrong`); when it fails, the one
    /// it fails on.
    pub despite: Vec<&'static str>,
    /// The engine loads only the platforms it can read: these are left out.
    pub platforms_left_out: Vec<String>,
}

impl Prediction {
    /// The verdict as the table shows it: `fails: <error>`, `loads despite diff-id-wrong`.
    pub fn outcome(&self) -> String {
        let mut out = match (&self.error, self.verdict) {
            (Some(e), Verdict::FailsLeavingRecord) => format!("fails, leaving an image record: {e}"),
            (Some(e), _) => format!("fails: {e}"),
            (None, v) => v.as_str().to_string(),
        };
        if self.verdict.loaded() && !self.despite.is_empty() {
            out.push_str(&format!(" despite {}", self.despite.join(", ")));
        }
        if !self.platforms_left_out.is_empty() {
            out.push_str(&format!(" (only some platforms: {} left out)", self.platforms_left_out.join(", ")));
        }
        out
    }

    /// This load turned into a failure that leaves its image record behind, with the
    /// engine's `error` and the damage class it fails on.
    fn leaving_record(mut self, error: String, class: Option<&'static str>) -> Prediction {
        self.verdict = Verdict::FailsLeavingRecord;
        self.error = Some(error);
        self.despite = class.into_iter().collect();
        self
    }

    fn fails(profile: &'static Profile, error: String, expected: Vec<String>) -> Prediction {
        Prediction {
            profile,
            verdict: Verdict::Fails,
            names: Vec::new(),
            ids: Vec::new(),
            error: Some(error),
            expected,
            despite: Vec::new(),
            platforms_left_out: Vec::new(),
        }
    }

    /// Loads: as expected, or under other names, as the names say.
    fn loads(
        profile: &'static Profile,
        names: Vec<String>,
        ids: Vec<Option<String>>,
        expected: Vec<String>,
    ) -> Prediction {
        let mut got: Vec<String> = names.iter().map(|n| reference::normalize(n)).collect();
        got.sort();
        got.dedup();
        let verdict = if got == expected { Verdict::Loads } else { Verdict::Renamed };
        Prediction {
            profile,
            verdict,
            names,
            ids,
            error: None,
            expected,
            despite: Vec::new(),
            platforms_left_out: Vec::new(),
        }
    }
}

/// A reference as Podman stores it: names without a registry get `localhost/`, where Docker
/// would put them on Docker Hub.
pub fn podman_normalize(name: &str) -> String {
    let (repo, rest) = reference::split_tag(name);
    match reference::registry_of(repo) {
        Some(_) => reference::normalize(name),
        None => format!("localhost/{repo}{rest}"),
    }
}

/// A ref.name that is a whole reference (`example.com/a:1`), not just a tag (`latest`), as
/// the OCI image layout's `org.opencontainers.image.ref.name` may be either.
pub(crate) fn is_reference(r: &str) -> bool {
    r.contains('/') || (r.contains(':') && !r.starts_with(':'))
}

/// Rules whose error findings mean the image's bytes are damaged: convert will not copy them,
/// and an engine's load stops on them unless a measured `[[damage]]` cell says what that engine
/// does (engine/damage.rs). A profile with no cells (the documentation-only ones, and registry
/// pulls) keeps this conservative rule: damage stops its load.
pub(crate) const DAMAGE: &[&str] = &[
    "image/blob-missing",
    "image/decompression-bomb",
    "image/blob-digest-mismatch",
    "image/blob-size-mismatch",
    "image/diff-id-mismatch",
    "image/layer-count-mismatch",
    "image/layer-unreadable",
    "image/truncated-archive",
];

/// Where `docker load` unpacks an archive (its temporary name shown as `…`), as its errors say.
pub(crate) const DOCKER_IMPORT_DIR: &str = "/var/lib/docker/tmp/docker-import-…";

/// Evidence key: the error text engines print for this defect.
pub const ENGINE_ERROR: &str = "engine_error";

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

/// The engine table and findings for one verified source.
pub fn report(
    v: &Verified,
    artifact: &str,
    selected: &[&'static Profile],
) -> (shipcheck_report::Table, Vec<shipcheck_report::Finding>) {
    tabulate(selected.iter().map(|p| predict(v, p)), artifact, Some(v))
}

/// The engine table and findings for an archive too damaged to verify ([`VerifyError::broken`]):
/// every engine refuses it, each in its own words.
///
/// [`VerifyError::broken`]: crate::verify::VerifyError::broken
pub fn report_broken(
    b: &crate::verify::BrokenArchive,
    artifact: &str,
    selected: &[&'static Profile],
) -> (shipcheck_report::Table, Vec<shipcheck_report::Finding>) {
    tabulate(selected.iter().map(|p| predict_broken(b, p)), artifact, None)
}

fn tabulate(
    predictions: impl Iterator<Item = Prediction>,
    artifact: &str,
    v: Option<&Verified>,
) -> (shipcheck_report::Table, Vec<shipcheck_report::Finding>) {
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    for pr in predictions {
        let p = pr.profile;
        let ids: Vec<String> =
            pr.ids.iter().map(|i| i.clone().unwrap_or_else(|| "computed at import".into())).collect();
        let basis = if p.live.is_some() { "tested live" } else { "documentation" };
        let outcome = pr.outcome();
        rows.push(vec![
            p.id.clone(),
            outcome,
            if pr.names.is_empty() { "-".into() } else { pr.names.join(", ") },
            if ids.is_empty() { "-".into() } else { ids.join(", ") },
            basis.into(),
        ]);
        findings.extend(finding(v, artifact, p, &pr, &ids, basis));
    }
    let table = shipcheck_report::Table {
        name: "engines".into(),
        columns: ["engine", "verdict", "names", "image_id", "basis"].map(String::from).to_vec(),
        rows,
    };
    (table, findings)
}

/// The finding for one engine's prediction: none when it loads as asked.
fn finding(
    v: Option<&Verified>,
    artifact: &str,
    p: &Profile,
    pr: &Prediction,
    ids: &[String],
    basis: &str,
) -> Option<shipcheck_report::Finding> {
    use crate::rules::{load_fails, other_name, podman3_localhost_name};
    use shipcheck_report::{Finding, Subject};
    let subject = Subject::whole(artifact);
    let pulled = v.is_some_and(|v| v.shape.container == Container::Registry);
    let legacy = v.is_some_and(|v| !v.shape.legacy_names.is_empty());
    let (verb, remedy) = if legacy {
        ("load", "Load it into a Docker before 25 and `docker save` it again, or rebuild the image.")
    } else if v.is_none() {
        ("load", "Copy or download the archive again and compare its checksum with the source's.")
    } else if pulled {
        ("pull", "Push an index that includes the platform this engine's host runs, with gzip-compressed layers where Docker before 23 must pull it.")
    } else {
        ("load", "Run `shipcheck convert` for a form every engine loads, or ship the format this engine reads.")
    };
    match pr.verdict {
        Verdict::Fails | Verdict::FailsLeavingRecord => {
            // The damage it fails on, if that is why; whether a record stays behind.
            let cause = if pr.despite.is_empty() { String::new() } else { format!(" ({})", pr.despite.join(", ")) };
            let leaves = pr.verdict == Verdict::FailsLeavingRecord;
            let (record, remedy) = if leaves {
                (
                    ", but leaves an image record behind",
                    "Re-export the image from its build; remove the half-loaded record (`rmi`) before loading it again.",
                )
            } else if !pr.despite.is_empty() {
                ("", "Re-export the image from its build, or rebuild it: the archive is damaged (see the image/ findings).")
            } else {
                ("", remedy)
            };
            let message =
                format!("{} will not {verb} it{cause}{record}: {}", p.label, pr.error.clone().unwrap_or_default());
            let mut f = Finding::new(&load_fails::RULE, subject, message).evidence("engine", &p.id);
            if leaves {
                f = f.evidence("left_in_store", if pr.names.is_empty() { ids.join(", ") } else { pr.names.join(", ") });
            }
            Some(f.evidence("basis", basis).remedy(remedy))
        }
        Verdict::Renamed => {
            // Podman before containers/common 0.47 makes a bare ref.name tag a repository.
            let bare_tag = p.family == Family::Podman
                && !p.containerd_names
                && pr.names.iter().any(|n| n.starts_with("localhost/") && n.ends_with(":latest"))
                && v.is_some_and(|v| v.images.iter().any(|i| i.ref_name.as_deref().is_some_and(|r| !is_reference(r))));
            let rule = if bare_tag { &podman3_localhost_name::RULE } else { &other_name::RULE };
            let got = if pr.names.is_empty() { "no name".to_string() } else { pr.names.join(", ") };
            Some(
                Finding::new(rule, subject, format!("{} loads it as {got}", p.label))
                    .evidence("engine", &p.id)
                    .evidence("expected_names", if pr.expected.is_empty() { "-".into() } else { pr.expected.join(", ") })
                    .evidence("image_ids", ids.join(", "))
                    .evidence("basis", basis)
                    .remedy("Give the archive full names in RepoTags and in index.json (`shipcheck convert`), or look the image up by the IDs listed."),
            )
        }
        Verdict::Loads => None,
    }
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
    out.push_str(&damage::matrix_markdown());
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
        assert_eq!(reference::normalize("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(reference::normalize("foo/bar:v3"), "docker.io/foo/bar:v3");
        assert_eq!(reference::normalize("localhost:5000/w:latest"), "localhost:5000/w:latest");
        assert_eq!(podman_normalize("pretty-empty:latest"), "localhost/pretty-empty:latest");
        assert_eq!(podman_normalize("example.com/empty"), "example.com/empty:latest");
        assert_eq!(reference::familiar("docker.io/library/alpine:3.14"), "alpine:3.14");
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
        assert!(ids(&["nerdctl"]).unwrap_err().to_string().contains("known are"));
        assert!(!ids(&[]).unwrap().is_empty());
        for p in profiles() {
            assert!(!p.sources.is_empty(), "{} has no source", p.id);
        }
    }
}
