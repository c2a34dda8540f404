//! Damaged image archives, one per (damage class, archive form), for measuring what the live
//! engines do with damage (tests/damage.rs). Each starts from the deterministic writer
//! (`shipcheck_image::write`) and then has its bytes damaged; every digest that is not meant to
//! be wrong is recomputed (a blob that changes is renamed, and every descriptor, manifest.json
//! path and index above it is rewritten), so that shipcheck reports the one intended rule.
//!
//! Every archive's layers hold its own class and form, so no two archives share a layer: an
//! engine's store never has a good copy of a blob that another archive damages.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};
use shipcheck_image::digest::{sha256, Digest};
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{self, ArchiveDraft, Built, ImageDraft, LayerDraft, LayerFile, Shape};

/// The archive forms engines read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `docker save` before Docker 25 (manifest.json, `<id>/layer.tar`), as a tar.
    DockerArchive,
    /// Docker 25+ `docker save`: manifest.json and an OCI layout over one blobs/, as a tar.
    Hybrid,
    /// An OCI layout as a tar.
    OciArchive,
    /// An OCI layout as a directory.
    OciLayout,
}

pub(crate) const FORMS: [Form; 4] = [Form::DockerArchive, Form::Hybrid, Form::OciArchive, Form::OciLayout];

impl Form {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Form::DockerArchive => "docker-archive",
            Form::Hybrid => "hybrid",
            Form::OciArchive => "oci-archive",
            Form::OciLayout => "oci-layout",
        }
    }

    fn shape(self) -> Shape {
        match self {
            Form::DockerArchive => Shape::DockerLegacy,
            Form::Hybrid => Shape::Hybrid,
            Form::OciArchive | Form::OciLayout => Shape::Oci,
        }
    }

    pub(crate) fn is_dir(self) -> bool {
        self == Form::OciLayout
    }

    /// Has index.json.
    pub(crate) fn has_index(self) -> bool {
        self != Form::DockerArchive
    }

    /// Layers are blobs named by the digest of their (compressed) bytes, with descriptors
    /// that carry size and media type: not in a legacy save, whose `<id>/layer.tar` is named by
    /// nothing that hashes it.
    fn has_descriptors(self) -> bool {
        self != Form::DockerArchive
    }
}

/// A damage class: its name, and the rule shipcheck must report for it (`None`: shipcheck
/// must report no error at all, as for the undamaged controls).
pub(crate) struct Class {
    pub name: &'static str,
    pub rule: Option<&'static str>,
    /// A multi-platform image (linux/amd64 + linux/arm64 under one nested index).
    pub multi_platform: bool,
    /// Why a form cannot carry this damage, for each form it cannot.
    skip: fn(Form) -> Option<&'static str>,
    damage: fn(&mut Ctx),
}

pub(crate) const HOST: &str = "linux/amd64";
pub(crate) const OTHER: &str = "linux/arm64";

fn any(_: Form) -> Option<&'static str> {
    None
}

fn index_only(f: Form) -> Option<&'static str> {
    (!f.has_index()).then_some("a docker save before Docker 25 has no index.json")
}

fn descriptors_only(f: Form) -> Option<&'static str> {
    (!f.has_descriptors())
        .then_some("a docker save before Docker 25 has no descriptors: manifest.json names layers by path, with no digest, size or media type")
}

fn manifest_json_only(f: Form) -> Option<&'static str> {
    matches!(f, Form::OciArchive | Form::OciLayout).then_some("an OCI layout has no manifest.json")
}

fn tar_only(f: Form) -> Option<&'static str> {
    f.is_dir().then_some("a directory is not a tar: it has no tar structure to cut or to repeat a member in")
}

/// Every class, in table order: two undamaged controls, then the damage.
pub(crate) const CLASSES: &[Class] = &[
    Class { name: "undamaged", rule: None, multi_platform: false, skip: any, damage: |_| {} },
    Class { name: "undamaged-multi-platform", rule: None, multi_platform: true, skip: index_only, damage: |_| {} },
    Class {
        name: "layer-digest-wrong",
        rule: Some("image/blob-digest-mismatch"),
        multi_platform: false,
        skip: descriptors_only,
        damage: layer_digest_wrong,
    },
    Class {
        // A flipped byte inside the compressed stream, the commonest damage a bad disk or a
        // broken transfer leaves: the layer no longer decompresses, and its digest is wrong.
        name: "layer-corrupt",
        rule: Some("image/layer-unreadable"),
        multi_platform: false,
        skip: any,
        damage: |c| {
            let layer = c.image(HOST).layers[0].clone();
            let bytes = c.b.get_mut(&layer).unwrap();
            // Past the 10-byte gzip header, before the 8-byte trailer; a legacy save's
            // uncompressed layer.tar gets it in its first header (whose checksum then fails).
            let at = if bytes.starts_with(b"\x1f\x8b") { 10 + (bytes.len() - 18) / 2 } else { 20 };
            bytes[at] ^= 0x55;
        },
    },
    Class {
        name: "diff-id-wrong",
        rule: Some("image/diff-id-mismatch"),
        multi_platform: false,
        skip: any,
        damage: diff_id_wrong,
    },
    Class {
        name: "blob-missing-host",
        rule: Some("image/blob-missing"),
        multi_platform: false,
        skip: any,
        damage: |c| remove_first_layer(c, HOST),
    },
    Class {
        name: "blob-missing-other-platform",
        rule: Some("image/blob-missing"),
        multi_platform: true,
        skip: index_only,
        damage: |c| remove_first_layer(c, OTHER),
    },
    Class {
        name: "size-wrong",
        rule: Some("image/blob-size-mismatch"),
        multi_platform: false,
        skip: descriptors_only,
        damage: |c| {
            let manifest = c.image(HOST).manifest.clone().expect("an index form has manifests");
            // The descriptor declares one byte more than the blob has (a truncated copy).
            edit_json(&mut c.b, &manifest, |m| {
                let size = m["layers"][0]["size"].as_u64().unwrap();
                m["layers"][0]["size"] = json!(size + 1);
            });
        },
    },
    Class {
        name: "truncated",
        rule: Some("image/truncated-archive"),
        multi_platform: false,
        skip: tar_only,
        damage: |c| {
            // The layer goes last, so index.json and manifest.json are read before the cut.
            let layer = c.image(HOST).layers[0].clone();
            let at = c.b.files.iter().position(|(p, _)| *p == layer).unwrap();
            let member = c.b.files.remove(at);
            c.b.files.push(member);
            c.truncate_in = Some(layer);
        },
    },
    Class {
        name: "unsafe-layer-paths",
        rule: Some("image/layer-path-escape"),
        multi_platform: false,
        skip: any,
        damage: |c| unsafe_paths(c, "../../etc/x"),
    },
    Class {
        name: "unsafe-layer-paths-absolute",
        rule: Some("image/layer-path-escape"),
        multi_platform: false,
        skip: any,
        damage: |c| unsafe_paths(c, "/etc/x"),
    },
    Class {
        // ~100 MiB of zeros at a ratio near 1000: under the default limit's 1 GiB floor, so
        // tests/damage.rs verifies it with the limit lowered (`verify_options`: ratio 10, a
        // 51 MiB floor), as a user who wants small bombs caught would.
        name: "decompression-bomb",
        rule: Some("image/decompression-bomb"),
        multi_platform: false,
        skip: any,
        damage: decompression_bomb,
    },
    Class {
        name: "duplicate-tar-entries",
        rule: Some("image/duplicate-entry"),
        multi_platform: false,
        skip: tar_only,
        damage: duplicate_entry,
    },
    Class {
        name: "arch-mismatch",
        rule: Some("image/arch-mismatch"),
        multi_platform: false,
        skip: any,
        damage: |_| {}, // the image is written so: see `draft`
    },
    Class {
        name: "media-type-wrong",
        rule: Some("image/media-type-mismatch"),
        multi_platform: false,
        skip: descriptors_only,
        damage: |c| {
            // The layer is written uncompressed (see `draft`); its descriptor promises gzip.
            let manifest = c.image(HOST).manifest.clone().expect("an index form has manifests");
            edit_json(&mut c.b, &manifest, |m| {
                m["layers"][0]["mediaType"] = json!("application/vnd.oci.image.layer.v1.tar+gzip");
            });
        },
    },
    Class {
        name: "index-platform-lying",
        rule: Some("image/platform-mismatch"),
        multi_platform: false,
        skip: index_only,
        damage: |c| {
            // The config says linux/arm64 (see `draft`); index.json says this host's platform.
            edit_json(&mut c.b, "index.json", |i| {
                i["manifests"][0]["platform"] = json!({"architecture": "amd64", "os": "linux"});
            });
        },
    },
    Class {
        name: "manifests-null",
        rule: Some("image/null-manifest"),
        multi_platform: false,
        skip: index_only,
        damage: |c| edit_json(&mut c.b, "index.json", |i| i["manifests"] = Value::Null),
    },
    Class {
        name: "no-layers",
        rule: Some("image/no-layers"),
        multi_platform: false,
        skip: any,
        // The layers are left out in `draft`. A legacy save's `repositories` names the top
        // layer, and there is none: the file goes too.
        damage: |c| c.b.remove("repositories"),
    },
    Class {
        // The hostile-inputs issue's three verdicts, as cells of this table: a PAX record
        // whose length is wrong, in the archive and in a layer (Go's archive/tar refuses both);
        // manifest.json naming files outside the archive; an archive wrapped in two xz streams.
        name: "malformed-pax",
        rule: Some("image/truncated-archive"),
        multi_platform: false,
        skip: tar_only,
        damage: |c| {
            let tail = super::hostile::MALFORMED_PAX.iter().flat_map(|(n, k, d)| super::hostile::member(n, *k, d));
            c.append = Some(tail.collect());
        },
    },
    Class {
        name: "malformed-pax-in-layer",
        rule: Some("image/layer-unreadable"),
        multi_platform: false,
        skip: any,
        damage: |c| {
            let mut layer = super::hostile::member("PaxHeaders/a", tar::EntryType::XHeader, b"12 path=a\n");
            layer.extend(super::hostile::member("a", tar::EntryType::Regular, b"x"));
            layer.extend([0u8; 1024]);
            replace_layer(c, &layer, flate2::Compression::fast());
        },
    },
    Class {
        name: "manifest-json-outside",
        rule: Some("image/archive-unsafe-entry"),
        multi_platform: false,
        skip: manifest_json_only,
        damage: |c| {
            edit_json(&mut c.b, "manifest.json", |m| m[0]["Layers"][0] = json!("../../../../etc/shadow"));
        },
    },
    Class {
        name: "manifest-json-config-absolute",
        rule: Some("image/archive-unsafe-entry"),
        multi_platform: false,
        skip: manifest_json_only,
        damage: |c| edit_json(&mut c.b, "manifest.json", |m| m[0]["Config"] = json!("/etc/passwd")),
    },
    Class {
        name: "multi-stream-xz",
        rule: None,
        multi_platform: false,
        skip: tar_only,
        damage: |c| c.xz_streams = true,
    },
    Class {
        name: "unknown-tar-members",
        rule: Some("image/unknown-entry"),
        multi_platform: false,
        skip: any,
        damage: |c| c.b.files.push(("NOTES.txt".into(), b"repacked by hand\n".to_vec())),
    },
];

/// One damaged archive (a tar file, or a directory for `oci-layout`).
pub(crate) struct Damaged {
    pub class: &'static Class,
    pub form: Form,
    pub path: PathBuf,
    pub name: String,
    pub platforms: Platforms,
}

/// Each platform (`linux/amd64`) of an archive, with the digests of its layers and config as
/// written before the damage.
pub(crate) type Platforms = Vec<(String, Vec<String>)>;

/// What a damage step works on.
struct Ctx {
    form: Form,
    b: Built,
    /// A tar form is cut in the middle of this member.
    truncate_in: Option<String>,
    /// Raw members appended to a tar form after its own (before the end blocks).
    append: Option<Vec<u8>>,
    /// A tar form is written as two concatenated xz streams.
    xz_streams: bool,
    class: &'static str,
}

/// Where one image's parts are in a [`Built`].
#[derive(Clone, Debug)]
struct Parts {
    platform: String,
    /// The manifest blob (forms with index.json).
    manifest: Option<String>,
    config: String,
    layers: Vec<String>,
}

impl Ctx {
    fn images(&self) -> Vec<Parts> {
        parts(&self.b, self.form)
    }

    fn image(&self, platform: &str) -> Parts {
        self.images().into_iter().find(|p| p.platform == platform).unwrap_or_else(|| panic!("no {platform} image"))
    }

    /// The files of the layer as first written.
    fn files(&self, platform: &str) -> Vec<LayerFile> {
        layer_files(self.class, self.form, platform)
    }
}

pub(crate) fn image_name(class: &str, form: Form) -> String {
    format!("example.com/damage/{class}:{}", form.name())
}

/// The files of an archive's layer: its own class, form and platform, so no two archives
/// share a layer.
fn layer_files(class: &str, form: Form, platform: &str) -> Vec<LayerFile> {
    vec![LayerFile::new("etc/damage", format!("{class} {} {platform}\n", form.name()), 0o644)]
}

fn parse(p: &str) -> Platform {
    Platform::parse(p).unwrap()
}

/// A minimal 64-bit little-endian ELF header for e_machine `machine` (183: aarch64).
pub(crate) fn elf_header(machine: u16) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 2; // 64-bit
    h[5] = 1; // little-endian
    h[6] = 1; // version
    h[16] = 2; // ET_EXEC
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h[20] = 1; // e_version
    h[52] = 64; // e_ehsize
    h
}

/// The archive as written before any damage.
fn draft(class: &Class, form: Form) -> ArchiveDraft {
    let name = image_name(class.name, form);
    let image = |platform: &str| ImageDraft {
        platform: parse(platform),
        layers: vec![LayerDraft { files: layer_files(class.name, form, platform), compression: Compression::Gzip }],
        names: vec![name.clone()],
    };
    let mut images = if class.multi_platform { vec![image(HOST), image(OTHER)] } else { vec![image(HOST)] };
    match class.name {
        // An amd64 image whose one executable is for arm64.
        "arch-mismatch" => images[0].layers[0].files.push(LayerFile::new("usr/bin/app", elf_header(183), 0o755)),
        "media-type-wrong" => images[0].layers[0].compression = Compression::None,
        // The config says arm64; the damage makes index.json say amd64.
        "index-platform-lying" => {
            images = vec![image(OTHER)];
        }
        "no-layers" => images[0].layers.clear(),
        _ => {}
    }
    let mut d = ArchiveDraft::new(form.shape(), images);
    d.multi_platform = class.multi_platform;
    d
}

/// Builds the damaged archive's files (before it is written). `Err`: the form cannot carry this
/// damage, and why.
/// What is done to a tar form's bytes after the damage to its files.
struct TarEdits {
    cut: Option<String>,
    append: Option<Vec<u8>>,
    xz_streams: bool,
}

fn build(class: &'static Class, form: Form) -> Result<(Built, TarEdits, Platforms), &'static str> {
    if let Some(why) = (class.skip)(form) {
        return Err(why);
    }
    let b = draft(class, form).build().unwrap();
    let mut ctx = Ctx { form, b, truncate_in: None, append: None, xz_streams: false, class: class.name };
    let platforms = ctx
        .images()
        .iter()
        .map(|p| {
            let digests = p.layers.iter().chain([&p.config]).filter_map(|path| path_digest(path)).collect();
            (p.platform.clone(), digests)
        })
        .collect();
    (class.damage)(&mut ctx);
    let edits = TarEdits { cut: ctx.truncate_in, append: ctx.append, xz_streams: ctx.xz_streams };
    Ok((ctx.b, edits, platforms))
}

/// Writes every (class, form) archive under `dir`. Returns them, and the pairs skipped with why.
pub(crate) fn write_all(dir: &Path) -> (Vec<Damaged>, Vec<(&'static str, Form, &'static str)>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for class in CLASSES {
        for form in FORMS {
            match build(class, form) {
                Err(why) => skipped.push((class.name, form, why)),
                Ok((b, edits, platforms)) => {
                    let path =
                        dir.join(format!("{}.{}{}", class.name, form.name(), if form.is_dir() { "" } else { ".tar" }));
                    if form.is_dir() {
                        b.write_dir(&path).unwrap();
                    } else {
                        let mut tar = b.to_tar();
                        if let Some(member) = edits.cut {
                            let (start, len) = member_data(&tar, &member);
                            tar.truncate(start + len / 2);
                        }
                        if let Some(tail) = edits.append {
                            tar = super::hostile::unterminated(tar);
                            tar.extend(tail);
                            tar.extend([0u8; 1024]);
                        }
                        if edits.xz_streams {
                            // Two xz streams, split inside a member, as `xz` concatenates them.
                            let half = tar.len() / 2;
                            let mut out = Vec::new();
                            for part in [&tar[..half], &tar[half..]] {
                                out.extend(write::compress(part, Compression::Xz).unwrap());
                            }
                            tar = out;
                        }
                        std::fs::write(&path, tar).unwrap();
                    }
                    out.push(Damaged { class, form, path, name: image_name(class.name, form), platforms });
                }
            }
        }
    }
    (out, skipped)
}

/// Where a member's data starts in a tar, and its length.
fn member_data(tar: &[u8], name: &str) -> (usize, usize) {
    let mut a = tar::Archive::new(tar);
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        if e.path().unwrap().to_str() == Some(name) {
            return (e.raw_file_position() as usize, e.size() as usize);
        }
    }
    panic!("no member {name}");
}

fn path_digest(path: &str) -> Option<String> {
    if let Some(hex) = path.strip_prefix("blobs/sha256/") {
        return Some(format!("sha256:{hex}"));
    }
    let hex = path.strip_suffix(".json")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("sha256:{hex}"))
}

fn doc(b: &Built, path: &str) -> Value {
    let bytes = b.files.iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("no {path}")).1.clone();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn blob(d: &str) -> String {
    Digest::parse(d).unwrap().blob_path()
}

/// Every image's manifest, config and layers.
fn parts(b: &Built, form: Form) -> Vec<Parts> {
    let mut out = Vec::new();
    if form.has_index() {
        let mut pending: Vec<Value> = doc(b, "index.json")["manifests"].as_array().cloned().unwrap_or_default();
        while let Some(desc) = pending.pop() {
            let path = blob(desc["digest"].as_str().unwrap());
            let v = doc(b, &path);
            if let Some(children) = v["manifests"].as_array() {
                pending.extend(children.iter().cloned());
                continue;
            }
            let config = blob(v["config"]["digest"].as_str().unwrap());
            let c = doc(b, &config);
            out.push(Parts {
                platform: format!("{}/{}", c["os"].as_str().unwrap(), c["architecture"].as_str().unwrap()),
                manifest: Some(path),
                config,
                layers: v["layers"].as_array().unwrap().iter().map(|l| blob(l["digest"].as_str().unwrap())).collect(),
            });
        }
    } else {
        for e in doc(b, "manifest.json").as_array().unwrap() {
            let config = e["Config"].as_str().unwrap().to_string();
            let c = doc(b, &config);
            out.push(Parts {
                platform: format!("{}/{}", c["os"].as_str().unwrap(), c["architecture"].as_str().unwrap()),
                manifest: None,
                config,
                layers: e["Layers"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect(),
            });
        }
    }
    out
}

/// Rewrites the JSON document at `path`. A document named by its digest (a blob, or a legacy
/// save's `<hex>.json` config) is renamed to its new digest, and every reference to it is
/// rewritten in turn.
fn edit_json(b: &mut Built, path: &str, f: impl FnOnce(&mut Value)) {
    let mut v = doc(b, path);
    f(&mut v);
    let bytes = serde_json::to_vec(&v).unwrap();
    replace(b, path, bytes);
}

/// Replaces the bytes of the file at `path`; if a digest names it, renames it and rewrites
/// every descriptor (digest and size), manifest.json path and legacy config name that named
/// it, up to index.json and manifest.json.
fn replace(b: &mut Built, path: &str, bytes: Vec<u8>) {
    let Some(old) = path_digest(path) else {
        *b.get_mut(path).unwrap() = bytes;
        return;
    };
    let new = sha256(&bytes);
    let new_path = if path.starts_with("blobs/") { new.blob_path() } else { format!("{}.json", new.hex) };
    let old_hex = old.trim_start_matches("sha256:").to_string();
    let len = bytes.len();
    let at = b.files.iter().position(|(p, _)| p == path).unwrap();
    b.files[at] = (new_path.clone(), bytes);
    // Which documents name it, and what they become.
    let mut edits = Vec::new();
    for (p, data) in &b.files {
        if *p == new_path || !data.windows(old_hex.len()).any(|w| w == old_hex.as_bytes()) {
            continue;
        }
        let Ok(mut v) = serde_json::from_slice::<Value>(data) else { continue };
        if rewrite_refs(&mut v, &old, &new.to_string(), path, &new_path, len) {
            edits.push((p.clone(), serde_json::to_vec(&v).unwrap()));
        }
    }
    for (p, data) in edits {
        replace(b, &p, data);
    }
}

fn rewrite_refs(v: &mut Value, old: &str, new: &str, old_path: &str, new_path: &str, len: usize) -> bool {
    match v {
        Value::Object(m) => {
            let mut changed = false;
            if m.get("digest").and_then(Value::as_str) == Some(old) {
                m.insert("digest".into(), json!(new));
                if m.contains_key("size") {
                    m.insert("size".into(), json!(len));
                }
                changed = true;
            }
            for (_, c) in m.iter_mut() {
                changed |= rewrite_refs(c, old, new, old_path, new_path, len);
            }
            changed
        }
        Value::Array(a) => a.iter_mut().fold(false, |ch, c| rewrite_refs(c, old, new, old_path, new_path, len) | ch),
        Value::String(s) if s == old_path => {
            *s = new_path.to_string();
            true
        }
        _ => false,
    }
}

/// Replaces a layer of the host image with `tar` (stored gzip-compressed in every form: a
/// legacy save's layer.tar may be compressed too), rewriting the config's diff_id and the
/// descriptors.
fn replace_layer(c: &mut Ctx, tar: &[u8], level: flate2::Compression) {
    let img = c.image(HOST);
    let path = img.layers[0].clone();
    let diff_id = sha256(tar).to_string();
    let mut e = flate2::GzBuilder::new().mtime(0).write(Vec::new(), level);
    e.write_all(tar).unwrap();
    let bytes = e.finish().unwrap();
    // The config first: a legacy layer's path stays as it is, a blob's is renamed after.
    edit_json(&mut c.b, &img.config, |cfg| cfg["rootfs"]["diff_ids"][0] = json!(diff_id));
    replace(&mut c.b, &path, bytes);
}

fn layer_digest_wrong(c: &mut Ctx) {
    // The gzip header's OS byte: the compressed bytes change, what they decompress to does
    // not (so the diff_id still holds and only the blob's digest is wrong).
    let layer = c.image(HOST).layers[0].clone();
    let bytes = c.b.get_mut(&layer).unwrap();
    assert_eq!(&bytes[..2], b"\x1f\x8b");
    bytes[9] ^= 0x01;
}

fn diff_id_wrong(c: &mut Ctx) {
    let config = c.image(HOST).config;
    let wrong = sha256(b"not this layer").to_string();
    edit_json(&mut c.b, &config, |cfg| cfg["rootfs"]["diff_ids"][0] = json!(wrong));
}

/// A layer with the usual file and `name`, which leaves the root: written with raw headers,
/// as the tar writer refuses such names.
fn unsafe_paths(c: &mut Ctx, name: &str) {
    let mut tar = Vec::new();
    for f in c.files(HOST).iter().map(|f| (f.path.as_str(), f.data.clone())).chain([(name, b"escaped\n".to_vec())]) {
        tar.extend(super::hostile::member(f.0, tar::EntryType::Regular, &f.1));
    }
    tar.extend([0u8; 1024]);
    replace_layer(c, &tar, flate2::Compression::fast());
}

/// Removes the first layer of the `platform` image.
fn remove_first_layer(c: &mut Ctx, platform: &str) {
    let layer = c.image(platform).layers[0].clone();
    c.b.remove(&layer);
}

/// Size of the zero-filled file in the decompression bomb.
pub(crate) const BOMB_BYTES: usize = 100 << 20;

fn decompression_bomb(c: &mut Ctx) {
    // One zero-filled file, after the usual one: ~100 MiB that gzip -9 makes ~100 KiB.
    static ZEROS: OnceLock<Vec<u8>> = OnceLock::new();
    let zeros = ZEROS.get_or_init(|| vec![0u8; BOMB_BYTES]);
    let mut files = c.files(HOST);
    files.push(LayerFile { path: "var/zeros".into(), data: zeros.clone(), mode: 0o644 });
    let tar = write::tar_bytes(&files);
    replace_layer(c, &tar, flate2::Compression::best());
}

/// The layer member occurs twice: first a copy with other content (the same files, another
/// text), then the real one. shipcheck verifies the last, as extraction keeps it; an engine
/// that reads the first fails on its digest or diff_id.
fn duplicate_entry(c: &mut Ctx) {
    let layer = c.image(HOST).layers[0].clone();
    let mut files = c.files(HOST);
    files[0].data = format!("first copy of {}\n", String::from_utf8_lossy(&files[0].data).trim()).into_bytes();
    let tar = write::tar_bytes(&files);
    let first = if c.form == Form::DockerArchive { tar } else { write::compress(&tar, Compression::Gzip).unwrap() };
    let at = c.b.files.iter().position(|(p, _)| *p == layer).unwrap();
    c.b.files.insert(at, (layer, first));
}
