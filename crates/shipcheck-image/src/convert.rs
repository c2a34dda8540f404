//! `shipcheck convert`: writes one image of a verified source in the form every chosen engine
//! loads. The default output is a hybrid archive — `docker save` v1.2 (manifest.json with
//! fully-qualified RepoTags) over an OCI layout (index.json whose descriptor carries the full
//! name in both `io.containerd.image.name` and `org.opencontainers.image.ref.name`) — with
//! gzip or uncompressed layers kept byte for byte; zstd layers are recompressed to gzip only
//! when a chosen engine cannot read zstd. Attestations are dropped, or with
//! `keep_attestations` kept byte for byte beside the image in a nested index.
//!
//! Blobs are streamed from the source (archives are first unpacked to a temporary directory
//! beside the destination, so memory stays flat), the output is written to a temporary file and
//! renamed into place, and every byte of it is a function of the input: same input, same bytes.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::digest::{sha256, Algorithm, Digest, Hasher};
use crate::engine::{docker_normalize, Profile};
use crate::model;
use crate::platform::Platform;
use crate::scan::Compression;
use crate::source::{Container, SourceSpec};
use crate::verify::{ImageInfo, Verified};

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

/// Beyond damaged bytes (`engine::DAMAGE`), what convert refuses to copy: unsafe members.
const UNSAFE: &[&str] = &["image/archive-unsafe-entry", "image/layer-path-escape"];

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn choose<'v>(v: &'v Verified, want: Option<&Platform>) -> Result<&'v ImageInfo, String> {
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
        [] if want.is_some() => Err(format!("the source has no {}: it has {}", want.map(|p| p.to_string()).unwrap_or_default(), platforms.join(", "))),
        [] => Err(format!("the source holds {} images ({}): choose one with --platform", unique.len(), platforms.join(", "))),
        many => Err(format!(
            "the source holds {} images for that platform: convert writes one; select it with docker-archive:FILE:@N or a reference (docker-archive:FILE:NAME, oci-archive:FILE:NAME)",
            many.len()
        )),
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

/// Converts the verified source `spec` into `dest`.
pub fn convert(spec: &SourceSpec, v: &Verified, dest: &Path, opts: &Options) -> Result<Written, String> {
    if let Some(f) = damage(v) {
        return Err(format!(
            "{} is damaged ({}: {}); convert copies images faithfully and will not write it",
            spec.display, f.rule.id, f.message
        ));
    }
    let image = choose(v, opts.platform.as_ref())?;
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let work = tempfile::Builder::new()
        .prefix(".shipcheck-convert-")
        .tempdir_in(parent)
        .map_err(|e| format!("cannot create a work directory in {}: {e}", parent.display()))?;
    // Blobs are read from a directory: the source itself, or its archive unpacked.
    let root = match v.shape.container {
        Container::Directory => spec.path.clone(),
        Container::Registry => {
            return Err(format!("{} is in a registry: copy it with `shipcheck copy`, which converts too", spec.display))
        }
        Container::Tar(c) => {
            let dir = work.path().join("src");
            unpack(&spec.path, c, &dir).map_err(|e| format!("cannot unpack {}: {e}", spec.path.display()))?;
            dir
        }
    };
    let zstd_ok = opts.engines.iter().all(|p| p.family != "docker-graphdriver" || p.zstd);
    let blobs = work.path().join("blobs");
    std::fs::create_dir_all(&blobs).map_err(err)?;

    // The config, as it is.
    let config_path = image.config_path.as_ref().ok_or("the image has no readable config")?;
    let config_bytes = read_small(&root.join(config_path), 8 << 20)?;
    let config_digest = sha256(&config_bytes);
    let config_value: Value =
        serde_json::from_slice(&config_bytes).map_err(|e| format!("the config is not JSON: {e}"))?;
    let diff_ids: Vec<String> = config_value["rootfs"]["diff_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.as_str().map(String::from))
        .collect();

    // Layers: kept, or recompressed to gzip where zstd cannot be read.
    let mut layers = Vec::new();
    let mut recompressed = 0;
    for (i, l) in image.layers.iter().enumerate() {
        let path =
            l.path.as_ref().ok_or_else(|| format!("layer {} is not in the source (foreign or missing)", i + 1))?;
        let src = root.join(path);
        let compression = l.compression.unwrap_or(Compression::None);
        let (file, compression) = if compression == Compression::Zstd && !zstd_ok {
            recompressed += 1;
            let out = work.path().join(format!("layer{i}.gz"));
            let reader = zstd::stream::read::Decoder::new(File::open(&src).map_err(err)?).map_err(err)?;
            let mut enc = flate2::GzBuilder::new()
                .mtime(0)
                .write(File::create(&out).map_err(err)?, flate2::Compression::default());
            io::copy(&mut BufReader::new(reader), &mut enc).map_err(err)?;
            enc.finish().map_err(err)?;
            (out, Compression::Gzip)
        } else {
            (src, compression)
        };
        let (digest, size) = hash_file(&file)?;
        let media_type = model::layer_media_type(compression, false);
        layers.push((file, digest, size, media_type));
    }
    if !diff_ids.is_empty() && diff_ids.len() != layers.len() {
        return Err(format!("the config lists {} diff_ids for {} layers", diff_ids.len(), layers.len()));
    }

    // Names: every name the source gives, fully qualified, so no engine adds `localhost/`.
    let mut names: Vec<String> = Vec::new();
    for i in v.images.iter().filter(|i| i.config_digest == image.config_digest) {
        let refs = i.ref_name.iter().filter(|r| r.contains('/') || (r.contains(':') && !r.starts_with(':')));
        for n in i.repo_tags.iter().chain(i.containerd_name.iter()).chain(refs) {
            let n = docker_normalize(n);
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.sort();

    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": model::OCI_MANIFEST,
        "config": {"mediaType": model::OCI_CONFIG, "digest": config_digest.to_string(), "size": config_bytes.len()},
        "layers": layers.iter().map(|(_, d, s, mt)| json!({"mediaType": mt, "digest": d.to_string(), "size": s})).collect::<Vec<_>>(),
    });
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(err)?;
    let manifest_digest = sha256(&manifest_bytes);
    let platform = image.platform.as_ref().map(|p| p.to_string()).unwrap_or_else(crate::engine::host_platform);
    let mut descriptor = json!({
        "mediaType": model::OCI_MANIFEST,
        "digest": manifest_digest.to_string(),
        "size": manifest_bytes.len(),
    });
    if let Some(p) = &image.platform {
        let mut pl = json!({"os": p.os, "architecture": p.arch});
        if let Some(var) = &p.variant {
            pl["variant"] = json!(var);
        }
        descriptor["platform"] = pl;
    }
    if let Some(first) = names.first() {
        descriptor["annotations"] = json!({model::ANN_CONTAINERD_NAME: first, model::ANN_REF_NAME: first});
    }
    let blob = |d: &Digest| d.blob_path();
    // Attestations of the chosen image, copied byte for byte, in a nested index whose
    // descriptors point them at the (possibly new) manifest digest.
    let attestations: Vec<&ImageInfo> = if opts.keep_attestations {
        let old = image.manifest_digest.as_ref().map(|d| d.to_string());
        v.images.iter().filter(|i| i.attestation && old.is_some() && i.attests == old).collect()
    } else {
        Vec::new()
    };
    let mut extra: Vec<(String, Source)> = Vec::new();
    let top = if attestations.is_empty() {
        descriptor
    } else {
        let annotations = descriptor.get("annotations").cloned();
        let mut image_desc = descriptor.clone();
        if let Some(obj) = image_desc.as_object_mut() {
            obj.remove("annotations");
        }
        let mut children = vec![image_desc];
        for a in &attestations {
            let Some(md) = &a.manifest_digest else { continue };
            let bytes = read_small(&root.join(md.blob_path()), 4 << 20)?;
            extra.push((md.blob_path(), Source::Bytes(bytes.clone())));
            if let Some(c) = &a.config_path {
                let cb = read_small(&root.join(c), 8 << 20)?;
                extra.push((sha256(&cb).blob_path(), Source::Bytes(cb)));
            }
            for l in a.layers.iter().filter_map(|l| l.path.as_ref()) {
                let (d, _) = hash_file(&root.join(l))?;
                extra.push((d.blob_path(), Source::File(root.join(l))));
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
        extra.push((nested_digest.blob_path(), Source::Bytes(nested_bytes.clone())));
        let mut d =
            json!({"mediaType": model::OCI_INDEX, "digest": nested_digest.to_string(), "size": nested_bytes.len()});
        if let Some(a) = annotations {
            d["annotations"] = a;
        }
        d
    };
    let index = json!({"schemaVersion": 2, "mediaType": model::OCI_INDEX, "manifests": [top]});

    // Members in a fixed order: oci-layout, index.json, manifest.json, then blobs by digest.
    let mut members: Vec<(String, Source)> = vec![
        ("oci-layout".into(), Source::Bytes(br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec())),
        ("index.json".into(), Source::Bytes(serde_json::to_vec(&index).map_err(err)?)),
    ];
    if opts.format == Format::DockerArchive {
        let entry = json!([{
            "Config": blob(&config_digest),
            "RepoTags": names,
            "Layers": layers.iter().map(|(_, d, _, _)| blob(d)).collect::<Vec<_>>(),
        }]);
        members.push(("manifest.json".into(), Source::Bytes(serde_json::to_vec(&entry).map_err(err)?)));
    }
    let mut blob_members: Vec<(String, Source)> = vec![
        (blob(&config_digest), Source::Bytes(config_bytes.clone())),
        (blob(&manifest_digest), Source::Bytes(manifest_bytes)),
    ];
    for (file, d, _, _) in &layers {
        blob_members.push((blob(d), Source::File(file.clone())));
    }
    blob_members.extend(extra);
    blob_members.sort_by(|a, b| a.0.cmp(&b.0));
    blob_members.dedup_by(|a, b| a.0 == b.0);
    members.extend(blob_members);

    match opts.format {
        Format::Oci => write_dir(&members, dest, work.path())?,
        _ => write_tar(&members, dest, parent)?,
    }
    let dropped = v.images.iter().filter(|i| i.attestation).count() - attestations.len();
    Ok(Written {
        path: dest.to_path_buf(),
        names,
        platform,
        recompressed,
        dropped_attestations: dropped,
        kept_attestations: attestations.len(),
    })
}

enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > max {
        return Err(format!("{} is {} bytes: expected a config under {} MiB", path.display(), meta.len(), max >> 20));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn hash_file(path: &Path) -> Result<(Digest, u64), String> {
    let mut f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
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
/// would land outside it.
pub(crate) fn unpack(archive: &Path, c: Compression, dir: &Path) -> io::Result<()> {
    let file = BufReader::new(File::open(archive)?);
    let reader: Box<dyn Read> = match c {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(file)?),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new(file)),
        other => return Err(io::Error::other(format!("{} archives cannot be converted", other.name()))),
    };
    std::fs::create_dir_all(dir)?;
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(false);
    tar.set_overwrite(true);
    for entry in tar.entries()? {
        let mut entry = entry?;
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
/// members in name order with fixed headers: the same layout gives the same archive.
pub fn tar_layout(dir: &Path, dest: &Path) -> Result<(), String> {
    let mut members: Vec<(String, Source)> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))? {
            let entry = entry.map_err(err)?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let ft = entry.file_type().map_err(err)?;
            if ft.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else if ft.is_file() {
                members.push((name, Source::File(entry.path())));
            }
        }
    }
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    write_tar(&members, dest, parent)
}

/// Writes the members as a tar next to `dest`, then renames it into place.
fn write_tar(members: &[(String, Source)], dest: &Path, parent: &Path) -> Result<(), String> {
    let tmp = tempfile::Builder::new()
        .prefix(".shipcheck-convert-")
        .tempfile_in(parent)
        .map_err(|e| format!("cannot write in {}: {e}", parent.display()))?;
    {
        let mut builder = tar::Builder::new(io::BufWriter::new(tmp.as_file()));
        for (path, src) in members {
            match src {
                Source::Bytes(b) => builder.append(&header(path, b.len() as u64), &b[..]).map_err(err)?,
                Source::File(f) => {
                    let size = std::fs::metadata(f).map_err(err)?.len();
                    builder.append(&header(path, size), BufReader::new(File::open(f).map_err(err)?)).map_err(err)?;
                }
            }
        }
        builder.into_inner().map_err(err)?.flush().map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    // A temp file is private (0600); the archive is an ordinary file.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(err)?;
    }
    tmp.persist(dest).map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
    Ok(())
}

/// Writes the members as an OCI layout directory, built beside `dest` and renamed into place.
fn write_dir(members: &[(String, Source)], dest: &Path, work: &Path) -> Result<(), String> {
    if dest.exists() {
        return Err(format!("{} exists: convert writes a new layout directory", dest.display()));
    }
    let staging = work.join("out");
    for (path, src) in members {
        let target = staging.join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(&staging)).map_err(err)?;
        match src {
            Source::Bytes(b) => std::fs::write(&target, b).map_err(err)?,
            Source::File(f) => {
                std::fs::copy(f, &target).map_err(err)?;
            }
        }
    }
    std::fs::rename(&staging, dest).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}
