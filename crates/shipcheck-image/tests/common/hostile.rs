//! Hostile archives shared by the hostile-input tests and the live engine test.
#![allow(dead_code)]

use serde_json::{json, Value};
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, Built, ImageDraft, LayerDraft, LayerFile, Shape};
use tar::EntryType;

pub(crate) fn image(name: &str, content: &str) -> ImageDraft {
    ImageDraft {
        platform: Platform::parse("linux/amd64").unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("etc/shape", content.to_string(), 0o644)],
            compression: Compression::Gzip,
        }],
        names: vec![name.to_string()],
    }
}

pub(crate) fn built(shape: Shape, content: &str) -> Built {
    ArchiveDraft::new(shape, vec![image("example.com/app:1.0", content)]).build().unwrap()
}

/// A tar without its end-of-archive blocks, so more members can follow.
pub(crate) fn open_tar(b: &Built) -> Vec<u8> {
    unterminated(b.to_tar())
}

/// `t` without its end-of-archive blocks.
pub(crate) fn unterminated(mut t: Vec<u8>) -> Vec<u8> {
    while t.len() >= 512 && t[t.len() - 512..].iter().all(|&x| x == 0) {
        t.truncate(t.len() - 512);
    }
    t
}

/// The archive `b` with `members` (name, kind, data) appended after its own, then the end blocks.
pub(crate) fn with_members(b: &Built, members: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
    let mut t = open_tar(b);
    for (name, kind, data) in members {
        t.extend(member(name, *kind, data));
    }
    t.extend([0u8; 1024]);
    t
}

/// A raw header: `set_path` would refuse some of the names these tests need.
pub(crate) fn header(name: &str, kind: EntryType, size: u64) -> [u8; 512] {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    *h.as_bytes()
}

/// A member with its data and padding.
pub(crate) fn member(name: &str, kind: EntryType, data: &[u8]) -> Vec<u8> {
    let mut out = header(name, kind, data.len() as u64).to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// An OCI archive followed by a PAX header whose record length is wrong, then a member.
pub(crate) fn malformed_pax_archive() -> Vec<u8> {
    with_members(&built(Shape::Oci, "a"), &MALFORMED_PAX)
}

/// A PAX header whose record length is wrong, and the member it would describe.
pub(crate) const MALFORMED_PAX: [(&str, EntryType, &[u8]); 2] =
    [("PaxHeaders/extra", EntryType::XHeader, b"30 path=extra\n"), ("extra", EntryType::Regular, b"x")];

/// A docker save whose manifest.json names `config` and `layer` instead of its own paths
/// (`None`: kept).
pub(crate) fn manifest_json_naming(config: Option<&str>, layer: Option<&str>) -> Vec<u8> {
    let mut b = built(Shape::DockerLegacy, "a");
    let m = b.get_mut("manifest.json").unwrap();
    let mut list: Value = serde_json::from_slice(m).unwrap();
    if let Some(c) = config {
        list[0]["Config"] = json!(c);
    }
    if let Some(l) = layer {
        list[0]["Layers"][0] = json!(l);
    }
    *m = serde_json::to_vec(&list).unwrap();
    b.to_tar()
}

/// A docker save whose manifest.json names the host's /etc/passwd and /etc/shadow.
pub(crate) fn escaping_manifest_json() -> Vec<u8> {
    manifest_json_naming(Some("/etc/passwd"), Some("../../../../../../etc/shadow"))
}

/// A docker save whose layer has a PAX header with a wrong record length.
pub(crate) fn malformed_pax_layer_archive() -> Vec<u8> {
    let mut b = built(Shape::DockerLegacy, "a");
    let path = b.files.iter().map(|(p, _)| p.clone()).find(|p| p.ends_with("/layer.tar")).unwrap();
    let mut layer = member("PaxHeaders/a", EntryType::XHeader, b"12 path=a\n");
    layer.extend(member("a", EntryType::Regular, b"x"));
    layer.extend([0u8; 1024]);
    *b.get_mut(&path).unwrap() = layer;
    b.to_tar()
}
