//! Lenient types for the JSON documents in images. Every field is optional so that a defective
//! document still parses and each defect becomes a finding; oci-spec's strict types would turn
//! them into one parse error (see docs/ARCHITECTURE.md).

use std::collections::BTreeMap;

use serde::Deserialize;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// Annotations that name an image or mark an attestation.
pub const ANN_REF_NAME: &str = "org.opencontainers.image.ref.name";
pub const ANN_CONTAINERD_NAME: &str = "io.containerd.image.name";
pub const ANN_REFERENCE_TYPE: &str = "vnd.docker.reference.type";
pub const ANN_REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: Option<String>,
    pub digest: Option<String>,
    pub size: Option<i64>,
    pub platform: Option<PlatformJson>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub artifact_type: Option<String>,
}

impl Descriptor {
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct PlatformJson {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
}

/// An OCI image index or Docker manifest list. `manifests: null` parses to `None`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub schema_version: Option<i64>,
    pub media_type: Option<String>,
    pub manifests: Option<Vec<Descriptor>>,
}

/// An OCI image manifest or Docker schema 2 manifest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: Option<i64>,
    pub media_type: Option<String>,
    pub config: Option<Descriptor>,
    pub layers: Option<Vec<Descriptor>>,
    pub artifact_type: Option<String>,
    pub subject: Option<Descriptor>,
}

/// The parts of an image config that verification reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Config {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
    pub rootfs: Option<RootFs>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub diff_ids: Option<Vec<String>>,
}

/// One element of a `docker save` manifest.json.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DockerEntry {
    pub config: Option<String>,
    pub repo_tags: Option<Vec<String>>,
    pub layers: Option<Vec<String>>,
    /// Descriptors of foreign (non-distributable) layers, by diff_id; their content is not
    /// in the archive by design (Windows base layers).
    pub layer_sources: Option<std::collections::BTreeMap<String, Descriptor>>,
}

/// `oci-layout` file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciLayout {
    pub image_layout_version: Option<String>,
}

/// Loose view used to classify a blob whose descriptor has no media type.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub media_type: Option<String>,
    pub manifests: Option<serde_json::Value>,
    pub layers: Option<serde_json::Value>,
    pub config: Option<serde_json::Value>,
}

pub fn is_index_type(mt: &str) -> bool {
    mt == OCI_INDEX || mt == DOCKER_LIST
}

pub fn is_manifest_type(mt: &str) -> bool {
    mt == OCI_MANIFEST || mt == DOCKER_MANIFEST
}

pub fn is_image_config_type(mt: &str) -> bool {
    mt == OCI_CONFIG || mt == DOCKER_CONFIG
}

/// Foreign / non-distributable layers (Windows base layers): engines fetch them from their
/// `urls`, so archives and registries may legitimately lack their content.
pub fn is_foreign_layer_type(mt: &str) -> bool {
    mt.contains(".foreign.") || mt.contains(".nondistributable.")
}

/// Compression a layer media type promises, or `None` when the type is not a layer type.
/// The layer media type for content in compression `c`: OCI's, or Docker's v2 schema 2 types
/// with `docker` (zstd has only OCI's).
pub fn layer_media_type(c: crate::scan::Compression, docker: bool) -> &'static str {
    use crate::scan::Compression;
    match (c, docker) {
        (Compression::Gzip, true) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        (Compression::None, true) => "application/vnd.docker.image.rootfs.diff.tar",
        (Compression::Gzip, false) => "application/vnd.oci.image.layer.v1.tar+gzip",
        (Compression::Zstd, _) => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => "application/vnd.oci.image.layer.v1.tar",
    }
}

pub fn layer_type_compression(mt: &str) -> Option<crate::scan::Compression> {
    use crate::scan::Compression;
    let layer = mt.starts_with("application/vnd.oci.image.layer.")
        || mt.starts_with("application/vnd.docker.image.rootfs.")
        || mt.starts_with("application/vnd.oci.image.layer.nondistributable.");
    if !layer {
        return None;
    }
    Some(if mt.ends_with("+gzip") || mt.ends_with(".gzip") {
        Compression::Gzip
    } else if mt.ends_with("+zstd") || mt.ends_with(".zstd") {
        Compression::Zstd
    } else {
        Compression::None
    })
}
