//! `shipcheck convert`: writes one image of a verified source in the form every chosen engine
//! loads. The default output is a hybrid archive — `docker save` v1.2 (manifest.json with
//! fully-qualified RepoTags) over an OCI layout (index.json whose descriptor carries the full
//! name in both `io.containerd.image.name` and `org.opencontainers.image.ref.name`) — with
//! gzip or uncompressed layers kept byte for byte; zstd layers are recompressed to gzip only
//! when a chosen engine cannot read zstd. Attestations are dropped, or with
//! `keep_attestations` kept byte for byte beside the image in a nested index.
//!
//! Blobs are streamed from the source (archives are first unpacked to a scratch directory
//! beside the destination, within a temp-space limit, so memory stays flat), the output is
//! written to a scratch file and renamed into place, and every byte of it is a function of the
//! input: same input, same bytes. Every output path is built from a checked digest and written
//! through a handle on the destination's directory; an existing archive is replaced only with
//! `overwrite`, an existing OCI layout is added to, and the source itself is never a
//! destination. Scratch files go on SIGINT/SIGTERM too (`shipcheck_core::scratch`).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use shipcheck_core::scratch::{self, Dir};

use crate::digest::{sha256, Algorithm, Digest, DigestError, Hasher};
use crate::engine::Profile;
use crate::model;
use crate::platform::Platform;
use crate::scan::Compression;
use crate::source::{Container, SourceSpec};
use crate::verify::{ImageInfo, Verified};
use crate::write::{BlobError, LayoutWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Hybrid: manifest.json + index.json over one blobs/ store (a tar file).
    DockerArchive,
    /// An OCI layout in a tar file, without manifest.json.
    OciArchive,
    /// An OCI layout directory.
    Oci,
}

pub struct Options<'a> {
    pub format: Format,
    pub platform: Option<Platform>,
    pub engines: &'a [&'static Profile],
    /// Keep the image's attestation manifests (provenance, SBOM) in a nested index.
    pub keep_attestations: bool,
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub names: Vec<String>,
    pub platform: String,
    pub recompressed: usize,
    pub dropped_attestations: usize,
    pub kept_attestations: usize,
}

/// Why convert (or a copy that writes through it) wrote nothing. Every text names the path or
/// the image and says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The source has findings that mean damaged bytes or unsafe members.
    #[error("{name} is damaged ({rule}: {message}); convert copies images faithfully and will not write it")]
    Damaged { name: String, rule: &'static str, message: String },
    #[error("{0} is in a registry: copy it with `shipcheck copy`, which converts too")]
    InRegistry(String),
    #[error("the source has no {want}: it has {have}")]
    NoPlatform { want: String, have: String },
    #[error("the source holds {count} images ({platforms}): choose one with --platform")]
    ChoosePlatform { count: usize, platforms: String },
    #[error("the source holds no image convert can read{0}")]
    NoImage(&'static str),
    #[error("the source holds {0} images for that platform: convert writes one; select it with docker-archive:FILE:@N or a reference (docker-archive:FILE:NAME, oci-archive:FILE:NAME)")]
    ManyForPlatform(usize),
    #[error("{} is the source: write the output to another path", .0.display())]
    DestinationIsSource(PathBuf),
    #[error("{} exists and is not an OCI layout: expected a new path or an OCI layout directory", .0.display())]
    NotLayout(PathBuf),
    #[error("{} is a directory: expected a file path for the archive", .0.display())]
    IsDirectory(PathBuf),
    #[error("{} exists: pass --overwrite to replace it", .0.display())]
    Exists(PathBuf),
    #[error("{}: expected a path that ends in a file name", .0.display())]
    NoFileName(PathBuf),
    #[error("{}: expected a directory", .0.display())]
    NotDirectory(PathBuf),
    #[error("member `{0}` is outside the source: expected a path inside it")]
    Outside(String),
    #[error("layer {0} is not in the source (foreign or missing)")]
    LayerNotInSource(usize),
    #[error("the image has no readable config")]
    NoConfig,
    #[error("the config is not JSON: {0}")]
    ConfigNotJson(serde_json::Error),
    #[error("the config lists {diff_ids} diff_ids for {layers} layers")]
    DiffIds { diff_ids: usize, layers: usize },
    #[error("{} is {size} bytes: expected a config under {} MiB", path.display(), max >> 20)]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    /// A layout's blob whose file name is not a digest.
    #[error("{}: {source}", path.display())]
    BlobName { path: PathBuf, source: DigestError },
    #[error("{0}: expected bytes for a top-level file")]
    TopLevelFile(String),
    #[error("{} is over {} MiB: expected an image index", path.display(), max >> 20)]
    IndexTooLarge { path: PathBuf, max: u64 },
    #[error("{} is not an image index: {source}", path.display())]
    NotIndex { path: PathBuf, source: serde_json::Error },
    #[error("{} has no manifests list: expected an image index", .0.display())]
    NoManifests(PathBuf),
    /// Writing the output layout failed; `source` says how.
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: Box<ConvertError> },
    /// A file system operation failed: `action` says which, on what (`cannot read x`).
    #[error("{action}: {source}")]
    Io { action: String, source: io::Error },
    #[error(transparent)]
    OtherIo(#[from] io::Error),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Digest(#[from] DigestError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// For callers that carry errors as text.
impl From<ConvertError> for String {
    fn from(e: ConvertError) -> String {
        e.to_string()
    }
}

/// Beyond damaged bytes (`engine::DAMAGE`), what convert refuses to copy: unsafe members.
const UNSAFE: &[&str] = &["image/archive-unsafe-entry", "image/layer-path-escape"];

fn err(e: impl Into<ConvertError>) -> ConvertError {
    e.into()
}

/// An I/O error, with what convert was doing (`cannot read x`).
fn io(action: String) -> impl FnOnce(io::Error) -> ConvertError {
    move |source| ConvertError::Io { action, source }
}

fn choose<'v>(v: &'v Verified, want: Option<&Platform>) -> Result<&'v ImageInfo, ConvertError> {
    let images: Vec<&ImageInfo> = v.images.iter().filter(|i| !i.attestation).collect();
    // A hybrid lists each image twice (index.json and manifest.json): one per config.
    let mut unique: Vec<&ImageInfo> = Vec::new();
    for i in images {
        if !unique.iter().any(|u| u.config_digest == i.config_digest) {
            unique.push(i);
        }
    }
    let platforms: Vec<String> = unique.iter().filter_map(|i| i.platform.as_ref().map(|p| p.to_string())).collect();
    let matching = |p: &str| {
        unique.iter().copied().filter(|i| i.platform.as_ref().is_some_and(|x| x.to_string() == p)).collect::<Vec<_>>()
    };
    let picked = match want {
        Some(p) => matching(&p.to_string()),
        None if unique.len() == 1 => unique.clone(),
        None => matching(&crate::engine::host_platform()),
    };
    match picked.as_slice() {
        [one] => Ok(one),
        [] if want.is_some() => Err(ConvertError::NoPlatform {
            want: want.map(|p| p.to_string()).unwrap_or_default(),
            have: platforms.join(", "),
        }),
        [] if unique.is_empty() => Err(ConvertError::NoImage(if v.shape.legacy_names.is_empty() {
            ""
        } else {
            ": it is a save from Docker before 1.10; load it into a Docker before 25 and `docker save` it again"
        })),
        [] => Err(ConvertError::ChoosePlatform { count: unique.len(), platforms: platforms.join(", ") }),
        many => Err(ConvertError::ManyForPlatform(many.len())),
    }
}

/// The first finding that makes `v` unfit to be copied anywhere (damaged bytes, unsafe
/// members): convert and push refuse such a source rather than pass it on.
pub fn damage(v: &Verified) -> Option<&shipcheck_report::Finding> {
    v.findings.iter().find(|f| {
        f.severity == shipcheck_report::Severity::Error
            && (crate::engine::DAMAGE.contains(&f.rule.id) || UNSAFE.contains(&f.rule.id))
    })
}

/// How convert writes its output. Kept apart from [`Options`] so that callers that build
/// `Options` field by field keep compiling; the default is the safe choice.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// Replace an existing archive file at the destination (`--overwrite`). An existing OCI
    /// layout directory is never replaced: the image is added to it, with its tag, as skopeo
    /// does.
    pub overwrite: bool,
    /// Most bytes of temporary files convert may write (the unpacked source archive,
    /// recompressed layers). `None`: [`default_temp_limit`] of the input's size.
    pub temp_limit: Option<u64>,
}

/// The temp-space limit is at least this much, whatever the input's size.
pub const MIN_TEMP_ALLOWANCE: u64 = 1 << 30;

/// The temp-space limit is otherwise this many times the input's size. A wrapped archive of
/// real images unpacks to about its own size (its layers are compressed already; legacy
/// uncompressed layers reach a few times that); a 143 KiB zstd bomb that unpacks to 3.7 GiB
/// stops at the floor.
pub const TEMP_RATIO: u64 = 50;

/// The temp-space limit for an input of `input_bytes`: max(MIN_TEMP_ALLOWANCE, TEMP_RATIO ×
/// input_bytes).
pub fn default_temp_limit(input_bytes: u64) -> u64 {
    input_bytes.saturating_mul(TEMP_RATIO).max(MIN_TEMP_ALLOWANCE)
}

/// Temporary bytes written so far, against the limit.
struct TempBudget {
    used: u64,
    limit: u64,
}

impl TempBudget {
    fn new(limit: u64) -> TempBudget {
        TempBudget { used: 0, limit }
    }

    /// Counts `n` more bytes written for `what`; past the limit, an error that names it.
    fn charge(&mut self, n: u64, what: &Path) -> io::Result<()> {
        self.used = self.used.saturating_add(n);
        if self.used > self.limit {
            return Err(io::Error::other(format!(
                "temporary files for {} pass the temp-space limit of {} MiB (at least {} MiB, else {TEMP_RATIO} times the input; raise it with --temp-limit)",
                what.display(),
                self.limit >> 20,
                MIN_TEMP_ALLOWANCE >> 20,
            )));
        }
        Ok(())
    }
}

/// A writer that charges every byte it writes to a budget.
struct Charged<'b, W> {
    inner: W,
    budget: &'b mut TempBudget,
    what: &'b Path,
}

impl<W: Write> Write for Charged<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.budget.charge(buf.len() as u64, self.what)?;
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where the output goes: the destination's directory, opened once, and its name in it.
struct Target {
    parent: Dir,
    name: OsString,
    path: PathBuf,
    /// The destination is an OCI layout that the image is added to.
    existing_layout: bool,
}

/// Whether `a` and `b` name the same file or directory (device and inode: through links and
/// hard links, whatever the spelling).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Refuses a destination that convert must not write: the source itself, an existing file
/// without `overwrite`, an existing directory that is not an OCI layout. Returns whether `dest`
/// is an existing OCI layout (added to). Callers that write through convert later (copy) call
/// it first, to refuse before any transfer.
pub fn check_destination(
    source: Option<&Path>,
    dest: &Path,
    format: Format,
    out: &WriteOptions,
) -> Result<bool, ConvertError> {
    if source.is_some_and(|s| same_file(s, dest)) {
        return Err(ConvertError::DestinationIsSource(dest.to_path_buf()));
    }
    let Ok(meta) = std::fs::symlink_metadata(dest) else { return Ok(false) };
    if format == Format::Oci {
        if std::fs::metadata(dest).is_ok_and(|m| m.is_dir()) && dest.join("oci-layout").is_file() {
            return Ok(true);
        }
        return Err(ConvertError::NotLayout(dest.to_path_buf()));
    }
    if meta.is_dir() {
        return Err(ConvertError::IsDirectory(dest.to_path_buf()));
    }
    if !out.overwrite {
        return Err(ConvertError::Exists(dest.to_path_buf()));
    }
    Ok(false)
}

fn target(source: Option<&Path>, dest: &Path, format: Format, out: &WriteOptions) -> Result<Target, ConvertError> {
    let name = dest.file_name().ok_or_else(|| ConvertError::NoFileName(dest.to_path_buf()))?.to_os_string();
    let existing_layout = check_destination(source, dest, format, out)?;
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(format!("cannot create {}", parent.display())))?;
    // Leftovers of killed runs beside this output go first (their pids are gone).
    let _ = scratch::remove_stale(parent);
    let parent = Dir::open(parent).map_err(err)?;
    Ok(Target { parent, name, path: dest.to_path_buf(), existing_layout })
}

/// Converts the verified source `spec` into `dest`, refusing to replace an existing file
/// (see [`convert_with`]).
pub fn convert(spec: &SourceSpec, v: &Verified, dest: &Path, opts: &Options) -> Result<Written, ConvertError> {
    convert_with(spec, v, dest, opts, &WriteOptions::default())
}

/// Converts the verified source `spec` into `dest`. Temporary files live in a scratch
/// directory beside `dest` (removed on return, and on SIGINT/SIGTERM), within the temp-space
/// limit; the output is written there and renamed into place.
pub fn convert_with(
    spec: &SourceSpec,
    v: &Verified,
    dest: &Path,
    opts: &Options,
    out: &WriteOptions,
) -> Result<Written, ConvertError> {
    if let Some(f) = damage(v) {
        return Err(ConvertError::Damaged { name: spec.display.clone(), rule: f.rule.id, message: f.message.clone() });
    }
    let image = choose(v, opts.platform.as_ref())?;
    let target = target(Some(&spec.path), dest, opts.format, out)?;
    let (work, _) = target
        .parent
        .scratch_dir(0o700)
        .map_err(io(format!("cannot create a work directory in {}", target.parent.path().display())))?;
    let input_bytes = std::fs::metadata(&spec.path).map(|m| m.len()).unwrap_or(0);
    let mut budget = TempBudget::new(out.temp_limit.unwrap_or_else(|| default_temp_limit(input_bytes)));
    // Blobs are read from a directory: the source itself, or its archive unpacked.
    let root = match v.shape.container {
        Container::Directory => spec.path.clone(),
        Container::Registry => return Err(ConvertError::InRegistry(spec.display.clone())),
        Container::Tar(c) => {
            let dir = work.path().join("src");
            unpack_capped(&spec.path, c, &dir, &mut budget)
                .map_err(io(format!("cannot unpack {}", spec.path.display())))?;
            dir
        }
    };
    let zstd_ok = opts.engines.iter().all(|p| p.zstd);
    let input = Input { root: &root, work: work.path(), zstd_ok };
    let planned = plan(v, image, &input, opts, &mut budget)?;
    match opts.format {
        Format::Oci => write_layout(&planned.members, &target)?,
        _ => write_tar(&planned.members, &target, out.overwrite)?,
    }
    let dropped = v.images.iter().filter(|i| i.attestation).count() - planned.kept_attestations;
    Ok(Written {
        path: dest.to_path_buf(),
        names: planned.names,
        platform: planned.platform,
        recompressed: planned.recompressed,
        dropped_attestations: dropped,
        kept_attestations: planned.kept_attestations,
    })
}

/// Where convert reads the source's members from, and writes its own work files to.
struct Input<'a> {
    root: &'a Path,
    work: &'a Path,
    zstd_ok: bool,
}

impl Input<'_> {
    /// A member of the source as a path under the root; a member path that would leave the
    /// root (absolute, `..`) is refused rather than read.
    fn path(&self, member: &str) -> Result<PathBuf, ConvertError> {
        let rel = Path::new(member);
        if rel.components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir)) {
            return Err(ConvertError::Outside(member.to_string()));
        }
        Ok(self.root.join(rel))
    }
}

/// What convert will write, and what it says about it.
struct Plan {
    members: Vec<Member>,
    names: Vec<String>,
    platform: String,
    recompressed: usize,
    kept_attestations: usize,
}

/// One layer of the output: its file, digest, size and media type.
struct OutLayer {
    file: PathBuf,
    digest: Digest,
    size: u64,
    media_type: &'static str,
}

/// Layers as they are, or recompressed to gzip where zstd cannot be read.
fn out_layers(
    image: &ImageInfo,
    input: &Input,
    budget: &mut TempBudget,
) -> Result<(Vec<OutLayer>, usize), ConvertError> {
    let mut layers = Vec::new();
    let mut recompressed = 0;
    for (i, l) in image.layers.iter().enumerate() {
        let path = l.path.as_ref().ok_or(ConvertError::LayerNotInSource(i + 1))?;
        let src = input.path(path)?;
        let compression = l.compression.unwrap_or(Compression::None);
        let (file, compression) = if compression == Compression::Zstd && !input.zstd_ok {
            recompressed += 1;
            let out = input.work.join(format!("layer{i}.gz"));
            zstd_to_gzip(&src, &out, budget).map_err(io(format!("cannot recompress {}", src.display())))?;
            (out, Compression::Gzip)
        } else {
            (src, compression)
        };
        let (digest, size) = hash_file(&file)?;
        layers.push(OutLayer { file, digest, size, media_type: model::layer_media_type(compression, false) });
    }
    Ok((layers, recompressed))
}

fn zstd_to_gzip(src: &Path, out: &Path, budget: &mut TempBudget) -> io::Result<()> {
    let reader = zstd::stream::read::Decoder::new(File::open(src)?)?;
    let file = Charged { inner: File::create(out)?, budget, what: out };
    let mut enc = flate2::GzBuilder::new().mtime(0).write(file, flate2::Compression::default());
    io::copy(&mut BufReader::new(reader), &mut enc)?;
    enc.finish()?;
    Ok(())
}

/// Every name the source gives the image, fully qualified, so no engine adds `localhost/`.
fn names_of(v: &Verified, image: &ImageInfo) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for i in v.images.iter().filter(|i| i.config_digest == image.config_digest) {
        let refs = i.ref_name.iter().filter(|r| crate::engine::is_reference(r));
        for n in i.repo_tags.iter().chain(i.containerd_name.iter()).chain(refs) {
            let n = shipcheck_core::reference::normalize(n);
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.sort();
    names
}

/// Plans the output: config as it is, layers, a new manifest, index.json and (for a
/// docker-archive) manifest.json, and the attestations kept.
fn plan(
    v: &Verified,
    image: &ImageInfo,
    input: &Input,
    opts: &Options,
    budget: &mut TempBudget,
) -> Result<Plan, ConvertError> {
    let config_path = image.config_path.as_ref().ok_or(ConvertError::NoConfig)?;
    let config_bytes = read_small(&input.path(config_path)?, 8 << 20)?;
    let config_digest = sha256(&config_bytes);
    let config_value: Value = serde_json::from_slice(&config_bytes).map_err(ConvertError::ConfigNotJson)?;
    let diff_ids =
        config_value["rootfs"]["diff_ids"].as_array().map_or(0, |a| a.iter().filter(|d| d.is_string()).count());
    let (layers, recompressed) = out_layers(image, input, budget)?;
    if diff_ids != 0 && diff_ids != layers.len() {
        return Err(ConvertError::DiffIds { diff_ids, layers: layers.len() });
    }
    let names = names_of(v, image);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": model::OCI_MANIFEST,
        "config": {"mediaType": model::OCI_CONFIG, "digest": config_digest.to_string(), "size": config_bytes.len()},
        "layers": layers.iter().map(|l| json!({"mediaType": l.media_type, "digest": l.digest.to_string(), "size": l.size})).collect::<Vec<_>>(),
    });
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(err)?;
    let manifest_digest = sha256(&manifest_bytes);
    let platform = image.platform.as_ref().map(|p| p.to_string()).unwrap_or_else(crate::engine::host_platform);
    let descriptor = image_descriptor(image, &manifest_digest, manifest_bytes.len(), names.first());
    let mut blobs = vec![
        Member::blob(&config_digest, Source::Bytes(config_bytes.clone()))?,
        Member::blob(&manifest_digest, Source::Bytes(manifest_bytes))?,
    ];
    for l in &layers {
        blobs.push(Member::blob(&l.digest, Source::File(l.file.clone()))?);
    }
    let (top, kept_attestations) = with_attestations(v, image, input, opts, descriptor, &manifest_digest, &mut blobs)?;
    let index = json!({"schemaVersion": 2, "mediaType": model::OCI_INDEX, "manifests": [top]});

    // Members in a fixed order: oci-layout, index.json, manifest.json, then blobs by digest.
    let mut members = vec![
        Member::top("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        Member::top("index.json", serde_json::to_vec(&index).map_err(err)?),
    ];
    if opts.format == Format::DockerArchive {
        let entry = json!([{
            "Config": config_digest.blob_path(),
            "RepoTags": names,
            "Layers": layers.iter().map(|l| l.digest.blob_path()).collect::<Vec<_>>(),
        }]);
        members.push(Member::top("manifest.json", serde_json::to_vec(&entry).map_err(err)?));
    }
    blobs.sort_by(|a, b| a.path.cmp(&b.path));
    blobs.dedup_by(|a, b| a.path == b.path);
    members.extend(blobs);
    Ok(Plan { members, names, platform, recompressed, kept_attestations })
}

/// The index.json descriptor of the new manifest: platform, and the first name in both
/// annotations engines read.
fn image_descriptor(image: &ImageInfo, manifest_digest: &Digest, size: usize, name: Option<&String>) -> Value {
    let mut descriptor = json!({
        "mediaType": model::OCI_MANIFEST,
        "digest": manifest_digest.to_string(),
        "size": size,
    });
    if let Some(p) = &image.platform {
        let mut pl = json!({"os": p.os, "architecture": p.arch});
        if let Some(var) = &p.variant {
            pl["variant"] = json!(var);
        }
        descriptor["platform"] = pl;
    }
    if let Some(first) = name {
        descriptor["annotations"] = json!({model::ANN_CONTAINERD_NAME: first, model::ANN_REF_NAME: first});
    }
    descriptor
}

/// With `keep_attestations`, the chosen image's attestations copied byte for byte in a nested
/// index whose descriptors point them at the (possibly new) manifest digest; their blobs are
/// added to `blobs`. Returns the top descriptor and how many were kept.
fn with_attestations(
    v: &Verified,
    image: &ImageInfo,
    input: &Input,
    opts: &Options,
    descriptor: Value,
    manifest_digest: &Digest,
    blobs: &mut Vec<Member>,
) -> Result<(Value, usize), ConvertError> {
    let attestations: Vec<&ImageInfo> = if opts.keep_attestations {
        let old = image.manifest_digest.as_ref().map(|d| d.to_string());
        v.images.iter().filter(|i| i.attestation && old.is_some() && i.attests == old).collect()
    } else {
        Vec::new()
    };
    if attestations.is_empty() {
        return Ok((descriptor, 0));
    }
    let annotations = descriptor.get("annotations").cloned();
    let mut image_desc = descriptor;
    if let Some(obj) = image_desc.as_object_mut() {
        obj.remove("annotations");
    }
    let mut children = vec![image_desc];
    for a in &attestations {
        let Some(md) = &a.manifest_digest else { continue };
        md.check()?;
        let bytes = read_small(&input.path(&md.blob_path())?, 4 << 20)?;
        blobs.push(Member::blob(md, Source::Bytes(bytes.clone()))?);
        if let Some(c) = &a.config_path {
            let cb = read_small(&input.path(c)?, 8 << 20)?;
            blobs.push(Member::blob(&sha256(&cb), Source::Bytes(cb))?);
        }
        for l in a.layers.iter().filter_map(|l| l.path.as_ref()) {
            let file = input.path(l)?;
            let (d, _) = hash_file(&file)?;
            blobs.push(Member::blob(&d, Source::File(file))?);
        }
        children.push(json!({
            "mediaType": model::OCI_MANIFEST,
            "digest": md.to_string(),
            "size": bytes.len(),
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {model::ANN_REFERENCE_TYPE: "attestation-manifest", model::ANN_REFERENCE_DIGEST: manifest_digest.to_string()},
        }));
    }
    let nested = json!({"schemaVersion": 2, "mediaType": model::OCI_INDEX, "manifests": children});
    let nested_bytes = serde_json::to_vec(&nested).map_err(err)?;
    let nested_digest = sha256(&nested_bytes);
    blobs.push(Member::blob(&nested_digest, Source::Bytes(nested_bytes.clone()))?);
    let mut d = json!({"mediaType": model::OCI_INDEX, "digest": nested_digest.to_string(), "size": nested_bytes.len()});
    if let Some(a) = annotations {
        d["annotations"] = a;
    }
    Ok((d, attestations.len()))
}

enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// One file of the output: a top-level file by name, or a blob whose path is built from its
/// checked digest and nothing else.
struct Member {
    path: String,
    digest: Option<Digest>,
    src: Source,
}

impl Member {
    fn top(name: &'static str, bytes: Vec<u8>) -> Member {
        Member { path: name.to_string(), digest: None, src: Source::Bytes(bytes) }
    }

    fn blob(d: &Digest, src: Source) -> Result<Member, ConvertError> {
        d.check()?;
        Ok(Member { path: d.blob_path(), digest: Some(d.clone()), src })
    }
}

fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, ConvertError> {
    let meta = std::fs::metadata(path).map_err(io(format!("cannot read {}", path.display())))?;
    if meta.len() > max {
        return Err(ConvertError::TooLarge { path: path.to_path_buf(), size: meta.len(), max });
    }
    std::fs::read(path).map_err(io(format!("cannot read {}", path.display())))
}

fn hash_file(path: &Path) -> Result<(Digest, u64), ConvertError> {
    let mut f = File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
    let mut h = Hasher::new(Algorithm::Sha256);
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((h.finish(), size))
}

/// Unpacks an archive (possibly wrapped in a compressor) into `dir`, refusing entries that
/// would land outside it, within [`default_temp_limit`] of the archive's size.
pub(crate) fn unpack(archive: &Path, c: Compression, dir: &Path) -> io::Result<()> {
    let size = std::fs::metadata(archive)?.len();
    unpack_capped(archive, c, dir, &mut TempBudget::new(default_temp_limit(size)))
}

/// Bytes charged per archive entry beyond its data: a tar header's worth, so that a million
/// empty members count too.
const ENTRY_OVERHEAD: u64 = 512;

fn unpack_capped(archive: &Path, c: Compression, dir: &Path, budget: &mut TempBudget) -> io::Result<()> {
    let file = BufReader::new(File::open(archive)?);
    // Every stream of a multi-stream xz, as verify reads it: what is written is what was verified.
    let reader = crate::scan::decoder(io::BufReader::new(file), c)?;
    std::fs::create_dir_all(dir)?;
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(false);
    tar.set_overwrite(true);
    for entry in tar.entries()? {
        let mut entry = entry?;
        // Charged before anything is written: the declared size is what unpacking writes (a
        // sparse entry's full size, more than its blocks on disk: on the safe side).
        budget.charge(entry.size().saturating_add(ENTRY_OVERHEAD), archive)?;
        // unpack_in refuses `..` and absolute paths, and links that would leave `dir`.
        entry.unpack_in(dir)?;
    }
    Ok(())
}

fn header(path: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(path).ok();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h
}

/// Writes the OCI layout directory `dir` as a tar file `dest` (an oci-archive), byte for byte,
/// members in name order with fixed headers: the same layout gives the same archive. An
/// existing `dest` is refused (see [`tar_layout_with`]).
pub fn tar_layout(dir: &Path, dest: &Path) -> Result<(), ConvertError> {
    tar_layout_with(dir, dest, &WriteOptions::default())
}

/// [`tar_layout`], replacing an existing `dest` with `out.overwrite`.
pub fn tar_layout_with(dir: &Path, dest: &Path, out: &WriteOptions) -> Result<(), ConvertError> {
    let mut members: Vec<Member> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&path).map_err(io(format!("cannot read {}", path.display())))? {
            let entry = entry.map_err(err)?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let ft = entry.file_type().map_err(err)?;
            if ft.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else if ft.is_file() {
                members.push(Member { path: name, digest: None, src: Source::File(entry.path()) });
            }
        }
    }
    members.sort_by(|a, b| a.path.cmp(&b.path));
    let target = target(Some(dir), dest, Format::OciArchive, out)?;
    write_tar(&members, &target, out.overwrite)
}

/// Writes the members as a tar in a scratch file beside the destination, then renames it into
/// place (replacing an existing file only with `overwrite`; the kernel checks at the rename).
fn write_tar(members: &[Member], target: &Target, overwrite: bool) -> Result<(), ConvertError> {
    let (tmp, file) =
        target.parent.scratch_file().map_err(io(format!("cannot write in {}", target.parent.path().display())))?;
    {
        let mut builder = tar::Builder::new(io::BufWriter::new(&file));
        for m in members {
            match &m.src {
                Source::Bytes(b) => builder.append(&header(&m.path, b.len() as u64), &b[..]).map_err(err)?,
                Source::File(f) => {
                    let input = File::open(f).map_err(io(format!("cannot read {}", f.display())))?;
                    let size = input.metadata().map_err(err)?.len();
                    builder.append(&header(&m.path, size), BufReader::new(input)).map_err(err)?;
                }
            }
        }
        builder.into_inner().map_err(err)?.flush().map_err(err)?;
    }
    file.sync_all().map_err(err)?;
    target.parent.rename(tmp.name(), &target.parent, &target.name, overwrite).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => ConvertError::Exists(target.path.clone()),
        _ => io(format!("cannot write {}", target.path.display()))(e),
    })?;
    tmp.keep();
    Ok(())
}

/// Writes the members as an OCI layout: a new directory built beside the destination and
/// renamed into place, or, when the destination is an OCI layout, added to it (blobs it lacks,
/// and the image's descriptor in index.json replacing one with the same name).
fn write_layout(members: &[Member], target: &Target) -> Result<(), ConvertError> {
    let fail = |e: ConvertError| ConvertError::Write { path: target.path.clone(), source: Box::new(e) };
    if target.existing_layout {
        let writer =
            LayoutWriter::new(Dir::open(&target.path).map_err(|e| fail(e.into()))?).map_err(|e| fail(e.into()))?;
        return put_members(&writer, members, true).map_err(fail);
    }
    let (staging, dir) = target.parent.scratch_dir(0o755).map_err(|e| fail(e.into()))?;
    let writer = LayoutWriter::new(dir).map_err(|e| fail(e.into()))?;
    put_members(&writer, members, false).map_err(fail)?;
    // A directory is never replaced, even with --overwrite: that would delete a tree.
    target.parent.rename(staging.name(), &target.parent, &target.name, false).map_err(|e| fail(e.into()))?;
    staging.keep();
    Ok(())
}

/// Moves the finished OCI layout directory `layout` (built beside `dest`, as copy builds it)
/// to `dest`: renamed into place when `dest` is new; added to `dest` when that is an OCI layout
/// (the blobs it lacks, and index.json's descriptors, one with the same name replaced), as
/// skopeo adds a tag. Anything else at `dest` is refused.
pub fn place_layout(layout: &Path, dest: &Path) -> Result<(), ConvertError> {
    let target = target(Some(layout), dest, Format::Oci, &WriteOptions::default())?;
    let fail = |e: ConvertError| ConvertError::Write { path: dest.to_path_buf(), source: Box::new(e) };
    if !target.existing_layout {
        let from = layout.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = layout.file_name().ok_or_else(|| ConvertError::NotDirectory(layout.to_path_buf()))?;
        let from = Dir::open(from).map_err(|e| fail(e.into()))?;
        return from.rename(name, &target.parent, &target.name, false).map_err(|e| fail(e.into()));
    }
    let members = layout_members(layout)?;
    let writer = LayoutWriter::new(Dir::open(dest).map_err(|e| fail(e.into()))?).map_err(|e| fail(e.into()))?;
    put_members(&writer, &members, true).map_err(fail)
}

/// The blobs of a layout shipcheck wrote (`blobs/<algorithm>/<hex>`, each name checked as a
/// digest) and its index.json.
fn layout_members(layout: &Path) -> Result<Vec<Member>, ConvertError> {
    let list = |dir: &Path| -> Result<Vec<(String, PathBuf)>, ConvertError> {
        let entries = std::fs::read_dir(dir).map_err(io(format!("cannot read {}", dir.display())))?;
        entries.map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())).map_err(err)).collect()
    };
    let mut members = Vec::new();
    for (algorithm, dir) in list(&layout.join("blobs"))? {
        for (hex, path) in list(&dir)? {
            let d = Digest::parse(&format!("{algorithm}:{hex}"))
                .map_err(|source| ConvertError::BlobName { path: path.clone(), source })?;
            members.push(Member::blob(&d, Source::File(path))?);
        }
    }
    let index = read_small(&layout.join("index.json"), crate::limits::MAX_JSON_BYTES)?;
    members.push(Member::top("index.json", index));
    Ok(members)
}

fn put_members(writer: &LayoutWriter, members: &[Member], existing: bool) -> Result<(), ConvertError> {
    let mut index = None;
    for m in members {
        match (&m.digest, &m.src) {
            (Some(d), _) if existing && writer.has_blob(d) => {}
            (Some(d), Source::Bytes(b)) => writer.put_bytes(d, b).map_err(err)?,
            (Some(d), Source::File(f)) => writer.put_file_hashed(d, f).map_err(err)?,
            (None, Source::Bytes(b)) if m.path == "index.json" => index = Some(b),
            (None, Source::Bytes(b)) => writer.put_top(&m.path, b).map_err(err)?,
            (None, Source::File(_)) => return Err(ConvertError::TopLevelFile(m.path.clone())),
        }
    }
    // index.json last: until it names the image, a reader of the layout does not see it.
    let Some(index) = index else { return Ok(()) };
    let index = if existing { merged_index(writer.root(), index)? } else { index.clone() };
    writer.put_top("index.json", &index).map_err(err)
}

/// The existing index.json of a layout with the new image's descriptors added; a descriptor
/// already there with the same `org.opencontainers.image.ref.name` is replaced (the tag moves).
fn merged_index(root: &Dir, new: &[u8]) -> Result<Vec<u8>, ConvertError> {
    let shown = root.path().join("index.json");
    let mut old = Vec::new();
    root.open_file("index.json")
        .and_then(|f| f.take(crate::limits::MAX_JSON_BYTES + 1).read_to_end(&mut old))
        .map_err(io(format!("cannot read {}", shown.display())))?;
    if old.len() as u64 > crate::limits::MAX_JSON_BYTES {
        return Err(ConvertError::IndexTooLarge { path: shown, max: crate::limits::MAX_JSON_BYTES });
    }
    let mut index: Value =
        serde_json::from_slice(&old).map_err(|source| ConvertError::NotIndex { path: shown.clone(), source })?;
    let new: Value = serde_json::from_slice(new).map_err(err)?;
    let Some(manifests) = index.get_mut("manifests").and_then(Value::as_array_mut) else {
        return Err(ConvertError::NoManifests(shown));
    };
    let ref_name = |d: &Value| d["annotations"][model::ANN_REF_NAME].as_str().map(String::from);
    for d in new["manifests"].as_array().into_iter().flatten() {
        if let Some(name) = ref_name(d) {
            manifests.retain(|m| ref_name(m).as_deref() != Some(name.as_str()));
        }
        manifests.push(d.clone());
    }
    serde_json::to_vec(&index).map_err(err)
}
