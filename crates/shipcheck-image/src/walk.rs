//! The walk: follows index.json and/or manifest.json over a tree that was read, and records what
//! it measured in [`Facts`]. It decides nothing about defects; where it cannot go on (a blob
//! that is absent, a document that does not parse) it records why and goes on elsewhere.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::de::DeserializeOwned;
use shipcheck_report::Subject;

use crate::digest::Digest;
use crate::facts::{list_or_none, Facts, JsonProblem, LayoutFile, Leftovers, Malformed, ManifestList, Step, Unusable};
use crate::limits;
use crate::model::{self, Config, Descriptor, DockerEntry, Index, Manifest, OciLayout, Probe};
use crate::platform::Platform;
use crate::scan::{BlobFacts, Compression};
use crate::source::Selector;
use crate::tree::{Entry, EntryKind, Tree, Unresolved};
use crate::verify::{ImageInfo, LayerInfo, Origin, VerifyError};

pub(crate) struct Walk<'a> {
    tree: &'a Tree,
    facts: Facts<'a>,
    /// Archive paths that something refers to (link paths and their targets).
    referenced: HashSet<String>,
    /// Index and manifest digests already walked (guards against loops in nested indexes, and
    /// against an index listing the same nested index or manifest many times).
    visited: HashSet<Digest>,
    /// Descriptors (digest, declared size, media type) already checked against their blob.
    checked: HashSet<(String, Option<i64>, Option<String>)>,
    /// How often each manifest listed again at the top of index.json was described again.
    renamed: HashMap<Digest, usize>,
    /// The containerd and ref names of the index.json descriptor being walked.
    top_names: (Option<String>, Option<String>),
}

impl<'a> Walk<'a> {
    pub(crate) fn new(tree: &'a Tree, artifact: String, required_platforms: Vec<Platform>) -> Walk<'a> {
        Walk {
            tree,
            facts: Facts::new(artifact, tree, required_platforms),
            referenced: HashSet::new(),
            visited: HashSet::new(),
            checked: HashSet::new(),
            renamed: HashMap::new(),
            top_names: (None, None),
        }
    }

    pub(crate) fn finish(self) -> Facts<'a> {
        self.facts
    }

    fn record(&mut self, step: Step<'a>) {
        self.facts.steps.push(step);
    }

    fn malformed(&mut self, subject: Subject, problem: Malformed) {
        self.record(Step::Malformed { subject, problem });
    }

    fn entry_subject(&self, path: &str) -> Subject {
        self.facts.entry_subject(path)
    }

    fn digest_subject(&self, d: &Digest) -> Subject {
        self.facts.digest_subject(d)
    }

    /// Defects of the container itself: what the reader met, repeated names, bad links.
    pub(crate) fn archive_problems(&mut self) {
        let tree = self.tree;
        for p in &tree.problems {
            self.record(Step::ArchiveProblem(p));
        }
        for dup in &tree.duplicates {
            self.record(Step::DuplicateMember(dup));
        }
        for e in tree.entries.values() {
            if let EntryKind::Symlink(target) | EntryKind::Hardlink(target) = &e.kind {
                let why = match tree.resolve(&e.path) {
                    Err(Unresolved::Escapes(why)) => why,
                    Err(Unresolved::Loop) => "is part of a link loop".to_string(),
                    _ => continue,
                };
                self.record(Step::BadLink { path: &e.path, target, why });
            }
        }
    }

    /// Resolves a member, marking it referenced; records why it cannot be used.
    fn member(&mut self, path: &str, what: &'static str, subject: Subject) -> Option<&'a Entry> {
        self.referenced.insert(path.to_string());
        let why = match self.tree.resolve(path) {
            Ok(e) => {
                self.referenced.insert(e.path.clone());
                return Some(e);
            }
            Err(Unresolved::Missing) => Unusable::Missing,
            Err(Unresolved::NotAFile) => Unusable::NotAFile,
            Err(Unresolved::Escapes(why)) if crate::tree::clean(path).is_err() => Unusable::NameLeaves(why),
            Err(Unresolved::Escapes(_) | Unresolved::Loop) => Unusable::ThroughBadLink,
        };
        self.record(Step::Unusable { subject, what, path: path.to_string(), why });
        None
    }

    /// Finds the blob a descriptor names and measures it against the descriptor.
    fn blob(&mut self, d: &Descriptor, what: &'static str) -> Option<(Digest, &'a Entry)> {
        let raw = d.digest.clone().unwrap_or_default();
        let digest = match Digest::parse(&raw) {
            Ok(dg) => dg,
            Err(e) => {
                let s = Subject::whole(&self.facts.artifact);
                self.malformed(s, Malformed::DescriptorDigest { what, error: e.to_string() });
                return None;
            }
        };
        let subject = self.digest_subject(&digest);
        let path = self.facts.blob_path(&digest);
        let entry = self.member(&path, what, subject)?;
        self.measure_blob(&digest, d.size, entry, what);
        Some((digest, entry))
    }

    fn measure_blob(&mut self, digest: &Digest, declared_size: Option<i64>, entry: &'a Entry, what: &'static str) {
        let subject = self.digest_subject(digest);
        self.record(Step::Blob { subject, what, digest: digest.clone(), declared_size, entry });
    }

    /// Parses a kept JSON document, recording why it cannot be.
    fn json<T: DeserializeOwned>(&mut self, entry: &Entry, what: &'static str, subject: Subject) -> Option<T> {
        let facts = entry.facts.as_ref()?;
        let problem = if facts.json_over_budget {
            JsonProblem::OverBudget
        } else if facts.json_too_large {
            JsonProblem::TooLarge
        } else if let Some(bytes) = &facts.json {
            match serde_json::from_slice::<T>(bytes) {
                Ok(v) => return Some(v),
                Err(e) => JsonProblem::Invalid(e.to_string()),
            }
        } else {
            JsonProblem::NotJson { read_failed: facts.read_error.is_some() }
        };
        let path = entry.path.clone();
        self.malformed(subject, Malformed::Json { what, path, size: entry.size, problem });
        None
    }

    pub(crate) fn oci_layout(&mut self, present: bool) {
        self.referenced.insert("oci-layout".into());
        if !present {
            self.record(Step::OciLayout(LayoutFile::Absent));
            return;
        }
        let s = self.entry_subject("oci-layout");
        let Ok(entry) = self.tree.resolve("oci-layout") else { return };
        if let Some(OciLayout { image_layout_version }) = self.json::<OciLayout>(entry, "oci-layout", s) {
            self.record(Step::OciLayout(LayoutFile::Version(image_layout_version)));
        }
    }

    pub(crate) fn index_json(&mut self, selector: &Selector) -> Result<(), VerifyError> {
        self.referenced.insert("index.json".into());
        let s = self.entry_subject("index.json");
        let Ok(entry) = self.tree.resolve("index.json") else { return Ok(()) };
        let Some(index) = self.json::<Index>(entry, "index.json", s.clone()) else { return Ok(()) };
        let Some(mut manifests) = index.manifests else {
            self.record(Step::NoManifests { subject: s, list: ManifestList::IndexJson });
            return Ok(());
        };
        if let Selector::Reference(want) = selector {
            let names: Vec<Vec<String>> = manifests.iter().map(descriptor_names).collect();
            let keep: Vec<bool> = names.iter().map(|n| n.iter().any(|x| name_matches(x, want))).collect();
            if !keep.contains(&true) {
                let all: Vec<String> = names.into_iter().flatten().collect();
                return Err(VerifyError::NoSuchName { want: want.clone(), have: list_or_none(&all) });
            }
            let mut it = keep.into_iter();
            manifests.retain(|_| it.next().unwrap_or(false));
        } else if let Selector::Index(_) = selector {
            return Err(VerifyError::IndexInOci);
        }
        for d in &manifests {
            let names = descriptor_names(d);
            self.top_names = (
                d.annotation(model::ANN_CONTAINERD_NAME).map(String::from),
                d.annotation(model::ANN_REF_NAME).map(String::from),
            );
            self.descriptor(d, names, None, 0);
        }
        Ok(())
    }

    /// Walks one descriptor of an index: a nested index or an image manifest.
    fn descriptor(&mut self, d: &Descriptor, names: Vec<String>, top: Option<Digest>, depth: usize) {
        let what = match d.media_type.as_deref() {
            Some(mt) if model::is_index_type(mt) => "index",
            _ => "manifest",
        };
        let key = (d.digest.clone().unwrap_or_default(), d.size, d.media_type.clone());
        let fresh = self.checked.insert(key);
        if let Some(seen) =
            Digest::parse(d.digest.as_deref().unwrap_or_default()).ok().filter(|g| self.visited.contains(g))
        {
            // Walked already: each distinct descriptor is checked once, nothing is walked twice.
            if fresh {
                self.blob(d, what);
            }
            if depth == 0 {
                self.describe_again(&seen, names);
            }
            return;
        }
        if !fresh {
            return;
        }
        let Some((digest, entry)) = self.blob(d, what) else { return };
        self.visited.insert(digest.clone());
        let top = top.or_else(|| Some(digest.clone()));
        let subject = self.digest_subject(&digest);
        let Some(value) = self.json::<serde_json::Value>(entry, what, subject.clone()) else { return };
        let probe: Probe = serde_json::from_value(value.clone()).unwrap_or_default();
        let is_index = match (d.media_type.as_deref(), probe.media_type.as_deref()) {
            (Some(mt), _) if model::is_index_type(mt) => true,
            (Some(mt), _) if model::is_manifest_type(mt) => false,
            (_, Some(mt)) if model::is_index_type(mt) => true,
            (_, Some(mt)) if model::is_manifest_type(mt) => false,
            _ => probe.manifests.is_some() && probe.layers.is_none(),
        };
        if let (Some(outer), Some(inner)) = (&d.media_type, probe.media_type) {
            let (descriptor, blob) = (outer.clone(), inner);
            self.record(Step::MediaTypes { subject: subject.clone(), descriptor, blob });
        }
        if is_index {
            self.nested_index(value, subject, names, top, depth);
            return;
        }
        match serde_json::from_value::<Manifest>(value) {
            Ok(m) => self.image_manifest(d, &digest, m, names, top),
            Err(e) => self.malformed(subject, Malformed::Manifest(e.to_string())),
        }
    }

    fn nested_index(
        &mut self,
        value: serde_json::Value,
        subject: Subject,
        names: Vec<String>,
        top: Option<Digest>,
        depth: usize,
    ) {
        if depth >= limits::MAX_INDEX_DEPTH {
            self.malformed(subject, Malformed::TooDeep);
            return;
        }
        let Ok(index) = serde_json::from_value::<Index>(value) else {
            self.malformed(subject, Malformed::IndexFields);
            return;
        };
        let Some(children) = index.manifests else {
            self.record(Step::NoManifests { subject, list: ManifestList::NestedIndex });
            return;
        };
        // A platform manifest absent from a partial export (containerd `ctr export --platform`,
        // Docker's containerd store) is normal there; if none is present, the absent ones are
        // walked (and reported absent one by one).
        let absent = |c: &Descriptor| {
            c.platform.is_some()
                && Digest::parse(c.digest.as_deref().unwrap_or_default())
                    .is_ok_and(|dg| matches!(self.tree.resolve(&self.facts.blob_path(&dg)), Err(Unresolved::Missing)))
        };
        let (missing, present): (Vec<&Descriptor>, Vec<&Descriptor>) = children.iter().partition(|c| absent(c));
        let platforms: BTreeSet<String> =
            missing.iter().filter_map(|c| platform_of(c)).filter(|p| !p.is_unknown()).map(|p| p.to_string()).collect();
        self.record(Step::PartialIndex {
            subject,
            children: children.len(),
            absent: missing.len(),
            present: present.len(),
            absent_platforms: platforms.into_iter().collect(),
        });
        let walk: Vec<&Descriptor> = if present.is_empty() { missing } else { present };
        for child in walk {
            self.descriptor(child, names.clone(), top.clone(), depth + 1);
        }
    }

    /// A manifest listed again at the top of index.json under other names: the same image, under
    /// those names (engines tag it with each), without walking it again. A nested index listed
    /// again adds nothing: its manifests were walked under the names it was first reached by.
    fn describe_again(&mut self, digest: &Digest, names: Vec<String>) {
        let count = self.renamed.entry(digest.clone()).or_insert(0);
        if *count >= limits::MAX_NAMES_PER_DIGEST {
            return;
        }
        *count += 1;
        let images = &self.facts.images;
        let Some(first) = images.iter().find(|i| i.manifest_digest.as_ref() == Some(digest)) else { return };
        let mut again = first.clone();
        again.names = names;
        again.top_digest = Some(digest.clone());
        again.containerd_name = self.top_names.0.clone();
        again.ref_name = self.top_names.1.clone();
        self.facts.images.push(again);
    }

    /// An image manifest's config: its digest, member and parsed content (when it is an image
    /// config).
    fn manifest_config(&mut self, m: &Manifest, subject: &Subject) -> (Option<Digest>, Option<String>, Option<Config>) {
        let Some(config_desc) = &m.config else {
            self.malformed(subject.clone(), Malformed::NoConfig);
            return (None, None, None);
        };
        let Some((cd, entry)) = self.blob(config_desc, "config") else { return (None, None, None) };
        let mt = config_desc.media_type.clone().unwrap_or_default();
        let config = if mt.is_empty() || model::is_image_config_type(&mt) {
            let s = self.digest_subject(&cd);
            self.json::<Config>(entry, "config", s)
        } else {
            None
        };
        (Some(cd), Some(entry.path.clone()), config)
    }

    fn image_manifest(
        &mut self,
        d: &Descriptor,
        digest: &Digest,
        m: Manifest,
        names: Vec<String>,
        top: Option<Digest>,
    ) {
        let subject = self.digest_subject(digest);
        let desc_platform = platform_of(d);
        let attestation = d.annotation(model::ANN_REFERENCE_TYPE) == Some("attestation-manifest")
            || desc_platform.as_ref().is_some_and(Platform::is_unknown);
        let config_mt = m.config.as_ref().and_then(|c| c.media_type.clone()).unwrap_or_default();
        let (config_digest, config_path, config) = self.manifest_config(&m, &subject);
        let image = config_mt.is_empty() || model::is_image_config_type(&config_mt);
        let layers = m.layers.clone().unwrap_or_default();
        let (count, names_now) = (layers.len(), names.clone());
        self.record(Step::Layers {
            subject: subject.clone(),
            entry: None,
            count,
            names: names_now,
            image,
            attestation,
        });
        let mut infos = Vec::new();
        let mut computed: Vec<Option<Digest>> = Vec::new();
        for l in &layers {
            if self.foreign_absent(l) {
                infos.push(absent_layer(l.media_type.clone()));
                computed.push(None);
                continue;
            }
            let found = self.blob(l, "layer");
            let facts = found.as_ref().and_then(|(_, e)| e.facts.as_ref());
            if let (Some((ld, e)), Some(f)) = (&found, facts) {
                self.layer_content(ld, e, f, l.media_type.as_deref());
            }
            computed.push(facts.and_then(diff_id_of));
            infos.push(LayerInfo {
                digest: found.as_ref().map(|(d, _)| d.clone()),
                media_type: l.media_type.clone(),
                compression: facts.map(|f| f.compression.unwrap_or(Compression::None)),
                size: found.as_ref().map_or(0, |(_, e)| e.size),
                path: found.as_ref().map(|(_, e)| e.path.clone()),
                diff_id: facts.and_then(diff_id_of),
            });
        }
        // diff_ids describe file-system layers. Artifacts that borrow the image config type
        // (some attestations) carry neither a rootfs nor layer media types: nothing to pair.
        let fs_layers =
            layers.iter().any(|l| l.media_type.as_deref().is_none_or(|mt| model::layer_type_compression(mt).is_some()));
        let pairs = config.as_ref().is_some_and(|c| c.rootfs.is_some()) || fs_layers;
        if let (true, true, Some(cfg)) = (image, pairs, &config) {
            let cfg_subject = config_digest.as_ref().map_or_else(|| subject.clone(), |c| self.digest_subject(c));
            self.diff_ids(cfg, &computed, cfg_subject);
        }
        let config_platform = config.as_ref().and_then(config_platform);
        if let (Some(index), Some(config)) = (&desc_platform, &config_platform) {
            let (index, config) = (index.clone(), config.clone());
            self.record(Step::Platforms { subject, index, config, attestation });
        }
        self.facts.images.push(ImageInfo {
            origin: Origin::IndexJson,
            names,
            manifest_digest: Some(digest.clone()),
            manifest_media_type: d.media_type.clone().or(m.media_type.clone()),
            top_digest: top,
            config_digest,
            platform: desc_platform.or(config_platform),
            layers: infos,
            attestation,
            repo_tags: Vec::new(),
            config_path,
            attests: d.annotation(model::ANN_REFERENCE_DIGEST).map(String::from),
            containerd_name: self.top_names.0.clone(),
            ref_name: self.top_names.1.clone(),
        });
    }

    /// Records a config's diff_ids against the digests its layers decompress to.
    fn diff_ids(&mut self, cfg: &Config, computed: &[Option<Digest>], subject: Subject) {
        let declared = cfg.rootfs.as_ref().and_then(|r| r.diff_ids.clone()).unwrap_or_default();
        self.record(Step::DiffIds { subject, declared, computed: computed.to_vec() });
    }

    fn layer_content(&mut self, digest: &Digest, entry: &'a Entry, blob: &'a BlobFacts, media_type: Option<&str>) {
        let subject = self.digest_subject(digest);
        let media_type = media_type.map(String::from);
        self.record(Step::LayerContent { subject, entry, blob, media_type });
    }

    pub(crate) fn manifest_json(&mut self, selector: &Selector) -> Result<(), VerifyError> {
        self.referenced.insert("manifest.json".into());
        let s = self.entry_subject("manifest.json");
        let Ok(entry) = self.tree.resolve("manifest.json") else { return Ok(()) };
        let Some(value) = self.json::<serde_json::Value>(entry, "manifest.json", s.clone()) else { return Ok(()) };
        let list = match value {
            serde_json::Value::Null => {
                self.record(Step::NoManifests { subject: s, list: ManifestList::ManifestJsonNull });
                return Ok(());
            }
            serde_json::Value::Array(list) => list,
            serde_json::Value::Object(ref o) if o.contains_key("schemaVersion") => {
                self.dir_manifest(value, entry, s);
                return Ok(());
            }
            _ => {
                self.malformed(s, Malformed::NotAList);
                return Ok(());
            }
        };
        let listed = list.len();
        let mut entries = Vec::new();
        for (i, v) in list.into_iter().enumerate() {
            match serde_json::from_value::<DockerEntry>(v) {
                Ok(e) => entries.push((i, e)),
                Err(e) => self.malformed(s.clone(), Malformed::Entry { index: i, error: e.to_string() }),
            }
        }
        if listed == 0 {
            self.record(Step::NoManifests { subject: s, list: ManifestList::ManifestJsonEmpty });
        }
        if entries.is_empty() {
            return Ok(());
        }
        select_entries(&mut entries, selector)?;
        for (i, e) in entries {
            self.docker_image(i, e);
        }
        Ok(())
    }

    /// containers/image `dir:` layout (skopeo copy … dir:): manifest.json is an image manifest
    /// and blobs sit beside it, named by hex digest.
    fn dir_manifest(&mut self, value: serde_json::Value, entry: &Entry, s: Subject) {
        self.facts.dir_layout = true;
        self.referenced.insert("version".into());
        let digest = entry.facts.as_ref().and_then(|f| f.digest.clone());
        match (serde_json::from_value::<Manifest>(value), digest) {
            (Ok(m), Some(digest)) => {
                let d = Descriptor { media_type: m.media_type.clone(), ..Descriptor::default() };
                self.image_manifest(&d, &digest, m, Vec::new(), None);
            }
            (Err(e), _) => self.malformed(s, Malformed::DirManifest(e.to_string())),
            (Ok(_), None) => {}
        }
    }

    /// The config a manifest.json entry names: its digest, member and parsed content.
    fn docker_config(&mut self, i: usize, e: &DockerEntry) -> (Option<Digest>, Option<String>, Option<Config>) {
        let Some(path) = &e.config else {
            let here = self.entry_subject("manifest.json");
            self.malformed(here, Malformed::EntryNoConfig(i));
            return (None, None, None);
        };
        let subject = self.entry_subject(path);
        let Some(entry) = self.member(path, "config", subject.clone()) else { return (None, None, None) };
        let digest = entry.facts.as_ref().and_then(|f| f.digest.clone());
        if let Some(named) = digest_in_name(path) {
            self.measure_blob(&named, None, entry, "config");
        }
        let config = self.json::<Config>(entry, "config", subject);
        (digest, Some(entry.path.clone()), config)
    }

    fn docker_image(&mut self, i: usize, e: DockerEntry) {
        let here = self.entry_subject("manifest.json");
        let names = e.repo_tags.clone().unwrap_or_default();
        let (config_digest, config_path, config) = self.docker_config(i, &e);
        let layers = e.layers.clone().unwrap_or_default();
        let (count, names_now) = (layers.len(), names.clone());
        let (image, attestation) = (true, false);
        self.record(Step::Layers {
            subject: here.clone(),
            entry: Some(i),
            count,
            names: names_now,
            image,
            attestation,
        });
        let mut computed = Vec::new();
        let mut infos = Vec::new();
        let declared =
            config.as_ref().and_then(|c| c.rootfs.as_ref()).and_then(|r| r.diff_ids.clone()).unwrap_or_default();
        for (i, path) in layers.iter().enumerate() {
            let foreign = declared
                .get(i)
                .and_then(|d| e.layer_sources.as_ref()?.get(d))
                .filter(|d| d.media_type.as_deref().is_some_and(model::is_foreign_layer_type));
            if let (Some(d), Err(Unresolved::Missing)) = (foreign, self.tree.resolve(path)) {
                let d = d.clone();
                self.foreign_absent(&d);
                computed.push(None);
                infos.push(absent_layer(d.media_type.clone()));
                continue;
            }
            let subject = self.entry_subject(path);
            let entry = self.member(path, "layer", subject);
            let facts = entry.and_then(|e| e.facts.as_ref());
            if let (Some(entry), Some(f)) = (entry, facts) {
                self.docker_layer(path, entry, f);
            }
            computed.push(facts.and_then(diff_id_of));
            infos.push(LayerInfo {
                digest: facts.and_then(|f| f.digest.clone()),
                media_type: None,
                compression: facts.map(|f| f.compression.unwrap_or(Compression::None)),
                size: entry.map_or(0, |e| e.size),
                path: entry.map(|e| e.path.clone()),
                diff_id: facts.and_then(diff_id_of),
            });
        }
        if let Some(cfg) = &config {
            let subject = e.config.as_deref().map_or(here, |p| self.entry_subject(p));
            self.diff_ids(cfg, &computed, subject);
        }
        let platform = config.as_ref().and_then(config_platform);
        self.facts.images.push(ImageInfo {
            origin: Origin::ManifestJson,
            repo_tags: names.clone(),
            config_path,
            attests: None,
            names,
            manifest_digest: None,
            manifest_media_type: None,
            top_digest: None,
            config_digest,
            platform,
            layers: infos,
            attestation: false,
            containerd_name: None,
            ref_name: None,
        });
    }

    /// A manifest.json layer member: the digest its name promises, and its content.
    fn docker_layer(&mut self, path: &str, entry: &'a Entry, f: &'a BlobFacts) {
        let named = digest_in_name(path);
        if let Some(named) = &named {
            self.measure_blob(named, None, entry, "layer");
        }
        match named.or_else(|| f.digest.clone()) {
            Some(d) => self.layer_content(&d, entry, f, None),
            // `--fast`: no digest labels the layer; the content's defects are still reported.
            None => {
                if f.layer.as_ref().is_some_and(|l| l.error.is_some() || l.escape_count > 0 || l.duplicate_count > 0) {
                    let d = Digest { algorithm: crate::digest::Algorithm::Sha256, hex: "0".repeat(64) };
                    self.layer_content(&d, entry, f, None);
                }
            }
        }
    }

    /// A foreign layer whose content is absent: engines download it from its `urls`. Returns
    /// whether the layer was such a one.
    fn foreign_absent(&mut self, d: &Descriptor) -> bool {
        let foreign = d.media_type.as_deref().is_some_and(model::is_foreign_layer_type);
        let Ok(digest) = Digest::parse(d.digest.as_deref().unwrap_or_default()) else { return false };
        if !foreign || !matches!(self.tree.resolve(&self.facts.blob_path(&digest)), Err(Unresolved::Missing)) {
            return false;
        }
        let subject = self.digest_subject(&digest);
        self.record(Step::ForeignAbsent { subject, media_type: d.media_type.clone() });
        true
    }

    /// The legacy `repositories` file: parsed for validity; which of its layer IDs exist.
    pub(crate) fn repositories(&mut self) {
        if !self.tree.entries.contains_key("repositories") {
            return;
        }
        self.referenced.insert("repositories".into());
        let s = self.entry_subject("repositories");
        let Ok(entry) = self.tree.resolve("repositories") else { return };
        let Some(repos) = self.json::<BTreeMap<String, BTreeMap<String, String>>>(entry, "repositories", s.clone())
        else {
            return;
        };
        for (repo, tags) in repos {
            for (tag, id) in tags {
                let candidates = [id.clone(), format!("{id}/layer.tar"), format!("blobs/sha256/{id}")];
                let present = candidates.iter().any(|c| self.tree.entries.contains_key(c));
                self.record(Step::RepositoriesLayer { subject: s.clone(), repo: repo.clone(), tag, id, present });
            }
        }
    }

    /// A save from Docker before 1.10 (neither manifest.json nor index.json): its
    /// `repositories` names the images.
    pub(crate) fn legacy_save(&mut self) {
        let subject = self.entry_subject("repositories");
        self.record(Step::LegacySave { subject });
        self.repositories();
    }

    /// Blobs nothing references, and members that belong to no known structure.
    pub(crate) fn leftovers(&mut self) {
        let legacy = |p: &str| {
            let mut parts = p.split('/');
            let (Some(id), rest) = (parts.next(), parts.collect::<Vec<_>>()) else { return false };
            let hexid = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
            hexid && matches!(rest.as_slice(), ["VERSION"] | ["json"] | ["layer.tar"])
        };
        let mut blobs = Vec::new();
        let mut unknown = Vec::new();
        for e in self.tree.entries.values() {
            if e.kind == EntryKind::Dir || self.referenced.contains(&e.path) {
                continue;
            }
            let dir_blob = self.facts.dir_layout && Digest::parse(&format!("sha256:{}", e.path)).is_ok();
            if dir_blob {
                blobs.push(e.path.clone());
            } else if let Some(rest) = e.path.strip_prefix("blobs/") {
                let valid =
                    rest.split_once('/').is_some_and(|(alg, hex)| Digest::parse(&format!("{alg}:{hex}")).is_ok());
                if valid {
                    blobs.push(e.path.clone());
                } else {
                    unknown.push(e.path.clone());
                }
            } else if !legacy(&e.path)
                && !matches!(e.path.as_str(), "repositories" | "index.json" | "manifest.json" | "oci-layout")
            {
                unknown.push(e.path.clone());
            }
        }
        self.facts.leftovers = Some(Leftovers { blobs, unknown });
    }
}

/// Keeps the manifest.json entries the selector asks for; `Err` when it names none.
fn select_entries(entries: &mut Vec<(usize, DockerEntry)>, selector: &Selector) -> Result<(), VerifyError> {
    let total = entries.len();
    match selector {
        Selector::All => {}
        Selector::Index(n) => {
            entries.retain(|(i, _)| i == n);
            if entries.is_empty() {
                return Err(VerifyError::IndexOutOfRange { index: *n, total });
            }
        }
        Selector::Reference(want) => {
            let all: Vec<String> = entries.iter().flat_map(|(_, e)| e.repo_tags.clone().unwrap_or_default()).collect();
            entries.retain(|(_, e)| e.repo_tags.iter().flatten().any(|t| name_matches(t, want)));
            if entries.is_empty() {
                return Err(VerifyError::NoSuchTag { want: want.clone(), have: list_or_none(&all) });
            }
        }
    }
    Ok(())
}

fn absent_layer(media_type: Option<String>) -> LayerInfo {
    LayerInfo { digest: None, media_type, compression: None, size: 0, path: None, diff_id: None }
}

fn config_platform(c: &Config) -> Option<Platform> {
    Some(Platform::new(c.os.as_deref()?, c.architecture.as_deref()?, c.variant.as_deref()))
}

/// The diff_id a blob contributes: its decompressed digest for a tar layer, its own digest for
/// uncompressed non-tar content (BuildKit's in-toto attestation layers).
fn diff_id_of(f: &BlobFacts) -> Option<Digest> {
    match &f.layer {
        Some(l) => l.diff_id.clone(),
        None if f.compression.is_none() => f.digest.clone(),
        None => None,
    }
}

/// The digest a docker-archive member's name promises: `blobs/sha256/<hex>`, `<hex>.json`,
/// `<hex>.tar`, `<hex>.tar.gz`.
pub(crate) fn digest_in_name(path: &str) -> Option<Digest> {
    if let Some(rest) = path.strip_prefix("blobs/") {
        let (alg, hex) = rest.split_once('/')?;
        return Digest::parse(&format!("{alg}:{hex}")).ok();
    }
    let file = path.rsplit('/').next()?;
    let stem =
        file.strip_suffix(".json").or_else(|| file.strip_suffix(".tar.gz")).or_else(|| file.strip_suffix(".tar"))?;
    Digest::parse(&format!("sha256:{stem}")).ok()
}

fn descriptor_names(d: &Descriptor) -> Vec<String> {
    [model::ANN_CONTAINERD_NAME, model::ANN_REF_NAME].iter().filter_map(|k| d.annotation(k).map(String::from)).collect()
}

fn platform_of(d: &Descriptor) -> Option<Platform> {
    let p = d.platform.as_ref()?;
    Some(Platform::new(p.os.as_deref()?, p.architecture.as_deref()?, p.variant.as_deref()))
}

/// `busybox` matches `busybox:latest` and `docker.io/library/busybox:latest`.
fn name_matches(have: &str, want: &str) -> bool {
    use shipcheck_core::reference::normalize;
    have == want || normalize(have) == normalize(want)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::platform_agrees;

    #[test]
    fn names_and_platforms() {
        assert!(name_matches("docker.io/library/busybox:latest", "busybox"));
        assert!(name_matches("example.com/a/b:1", "example.com/a/b:1"));
        assert!(!name_matches("busybox:1", "busybox"));
        assert!(name_matches("index.docker.io/library/busybox", "busybox:latest"));
        assert!(name_matches("docker.io/foo/bar", "foo/bar:latest"));
        let arm = Platform::parse("linux/arm64").unwrap();
        assert!(platform_agrees(&arm, &Platform::parse("linux/arm64/v8").unwrap()));
        assert!(!platform_agrees(&arm, &Platform::parse("linux/amd64").unwrap()));
        assert_eq!(digest_in_name("abc/layer.tar"), None);
        assert!(digest_in_name(&format!("{}.json", "a".repeat(64))).is_some());
    }
}
