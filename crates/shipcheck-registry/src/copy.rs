//! `shipcheck push` and `shipcheck copy`: an image from any source the image crate reads, or
//! from a registry, to a registry or to a local layout or archive (an OCI layout or
//! oci-archive byte for byte; a docker-archive in the form every engine loads).
//!
//! A local source is verified before anything is sent — its structure always, every byte with
//! `full` (a docker-archive without an OCI layout is always read whole, since its layer
//! digests must be computed) — and a damaged one is refused. Blob bytes are checked against
//! their digests again as they are sent. A pull to a local destination is written beside it
//! and moved into place when complete: an interrupted copy leaves nothing half-written.

use std::path::{Path, PathBuf};

use shipcheck_core::scratch::Scratch;
use shipcheck_image::convert::{self, ConvertError};
use shipcheck_image::source::{SourceError, SourceSpec, Transport};
use shipcheck_image::store::{single, Store, StoreError};
use shipcheck_image::{Verified, VerifyError, VerifyOptions};

use crate::client::Client;
use crate::reference::{Reference, ReferenceError};
use crate::transfer::{self, GraphError, Options, Pulled, Pushed, RegistrySource};

/// One side of a copy.
#[derive(Clone, Debug)]
pub enum Endpoint {
    Registry(Reference),
    Local(SourceSpec),
}

/// Why a copy's source or destination names nothing that can be copied.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl Endpoint {
    /// `docker://REGISTRY/REPO[:TAG][@DIGEST]`, or anything `SourceSpec` reads.
    pub fn parse(arg: &str) -> Result<Endpoint, EndpointError> {
        Ok(match arg.strip_prefix("docker://") {
            Some(rest) => Endpoint::Registry(Reference::parse(rest)?),
            None => Endpoint::Local(SourceSpec::parse(arg)?),
        })
    }

    pub fn shown(&self) -> String {
        match self {
            Endpoint::Registry(r) => format!("docker://{r}"),
            Endpoint::Local(s) => s.display.clone(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct CopyOptions {
    pub transfer: Options,
    /// Read every byte of a local source before pushing (digests, diff_ids, layer walks).
    pub full_verify: bool,
    /// The platform to write to a docker-archive destination (default: this machine's).
    pub platform: Option<shipcheck_image::platform::Platform>,
    /// Replace an existing archive at a local destination. An existing OCI layout is added to
    /// (its tag replaced), never replaced, as skopeo does.
    pub overwrite: bool,
}

impl CopyOptions {
    fn write(&self) -> convert::WriteOptions {
        convert::WriteOptions { overwrite: self.overwrite, temp_limit: None }
    }
}

/// What a copy did.
#[derive(Debug, Default)]
pub struct Copied {
    /// The local source as verified before the push.
    pub verified: Option<Verified>,
    pub pushed: Option<Pushed>,
    pub pulled: Option<Pulled>,
    /// The local destination written.
    pub written: Option<PathBuf>,
}

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The local source is damaged; its findings say how.
    #[error("{1}")]
    Damaged(Box<Verified>, String),
    /// Anything else, said in full (credentials masked).
    #[error("{0}")]
    Failed(String),
}

/// Every error a copy meets becomes its refusal's text: the copy reports it, masked, as a whole.
macro_rules! refused_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Refused {
            fn from(e: $t) -> Refused {
                Refused::Failed(e.to_string())
            }
        }
    )*};
}
refused_from!(crate::Error, SourceError, StoreError, ConvertError, GraphError, VerifyError);

/// Copies `src` to `dst`. A refusal's text has every credential and token the client holds
/// masked (a registry may echo them in an error or a URL it names).
pub fn copy(client: &Client, src: &Endpoint, dst: &Endpoint, opts: &CopyOptions) -> Result<Copied, Refused> {
    copy_unscrubbed(client, src, dst, opts).map_err(|refused| match refused {
        Refused::Damaged(v, why) => Refused::Damaged(v, client.scrub_text(&why)),
        Refused::Failed(why) => Refused::Failed(client.scrub_text(&why)),
    })
}

fn copy_unscrubbed(client: &Client, src: &Endpoint, dst: &Endpoint, opts: &CopyOptions) -> Result<Copied, Refused> {
    match (src, dst) {
        (Endpoint::Local(spec), Endpoint::Registry(dest)) => push_local(client, spec, dest, opts),
        (Endpoint::Registry(from), Endpoint::Registry(dest)) => {
            let g = transfer::fetch_graph(client, from)?;
            let source = RegistrySource { client, reference: from.clone() };
            let pushed = transfer::push(client, dest, &g, &source, &opts.transfer)?;
            Ok(Copied { pushed: Some(pushed), ..Copied::default() })
        }
        (Endpoint::Registry(from), Endpoint::Local(spec)) => pull(client, from, spec, opts),
        (Endpoint::Local(from), Endpoint::Local(spec)) => copy_local(from, spec, opts),
    }
}

/// Verifies a local source for copying: its structure (every byte with `full`, and always for
/// a docker-archive without an OCI layout, whose layer digests must be computed). A damaged
/// source is refused.
fn verified_local(spec: &SourceSpec, opts: &CopyOptions) -> Result<Verified, Refused> {
    let full = |spec| shipcheck_image::verify(spec, &VerifyOptions::default());
    let v = if opts.full_verify || spec.transport == Transport::DockerArchive {
        full(spec)?
    } else {
        // A bare path may turn out to be a docker-archive: then it is read again, whole.
        let v = shipcheck_image::verify(spec, &VerifyOptions { fast: true, ..Default::default() })?;
        if v.shape.index_json {
            v
        } else {
            full(spec)?
        }
    };
    if let Some(f) = convert::damage(&v) {
        let why = format!("{} is damaged ({}: {}): not copied", spec.display, f.rule.id, f.message);
        return Err(Refused::Damaged(Box::new(v), why));
    }
    Ok(v)
}

fn push_local(client: &Client, spec: &SourceSpec, dest: &Reference, opts: &CopyOptions) -> Result<Copied, Refused> {
    let v = verified_local(spec, opts)?;
    let store = Store::open(spec, &v, &std::env::temp_dir())?;
    let top = single(store.tops(), &spec.display)?;
    let g = transfer::local_graph(&store, top)?;
    let pushed = transfer::push(client, dest, &g, &store, &opts.transfer)?;
    Ok(Copied { verified: Some(v), pushed: Some(pushed), ..Copied::default() })
}

/// A local image to another local form: an OCI layout or oci-archive byte for byte (manifests
/// and digests unchanged), a docker-archive as convert writes it.
fn copy_local(from: &SourceSpec, spec: &SourceSpec, opts: &CopyOptions) -> Result<Copied, Refused> {
    let v = verified_local(from, opts)?;
    let (work, layout) = work_beside(Some(&from.path), spec, opts)?;
    let store = Store::open(from, &v, work.path())?;
    let top = single(store.tops(), &from.display)?;
    let g = transfer::local_graph(&store, top)?;
    let ref_name = dest_name(spec).or_else(|| top.names.first().map(|n| shipcheck_core::reference::normalize(n)));
    let written = transfer::write_layout(&g, &store, &layout, ref_name.as_deref(), opts.transfer.jobs)?;
    finish_local(&layout, spec, opts)?;
    Ok(Copied { verified: Some(v), pulled: Some(written), written: Some(spec.path.clone()), ..Copied::default() })
}

/// A work directory beside the destination (so the final rename stays on one file system),
/// and the layout path inside it. Refuses a destination that cannot be written as asked. The
/// work directory is a registered scratch path: removed when the copy fails or ends, and on
/// SIGINT/SIGTERM; what a killed run left in the same directory is removed first.
fn work_beside(source: Option<&Path>, spec: &SourceSpec, opts: &CopyOptions) -> Result<(Scratch, PathBuf), Refused> {
    let dest = &spec.path;
    let format = match spec.transport {
        Transport::Oci => convert::Format::Oci,
        Transport::OciArchive => convert::Format::OciArchive,
        Transport::DockerArchive => convert::Format::DockerArchive,
        _ => {
            return Err(Refused::Failed(format!(
                "name the destination's form: oci:{0}, oci-archive:{0} or docker-archive:{0}",
                dest.display()
            )))
        }
    };
    // Before any byte moves: never the source itself, never an existing archive without
    // --overwrite, never a directory that is not an OCI layout.
    convert::check_destination(source, dest, format, &opts.write())?;
    let parent =
        dest.parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf).unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&parent)
        .map_err(|e| Refused::Failed(format!("cannot create {}: {e}", parent.display())))?;
    // Best effort: a directory that cannot be listed fails just below, with its reason.
    let _ = shipcheck_core::scratch::remove_stale(&parent);
    let work = Scratch::create_dir_in(&parent)
        .map_err(|e| Refused::Failed(format!("cannot create a work directory in {}: {e}", parent.display())))?;
    let layout = work.path().join("layout");
    Ok((work, layout))
}

/// The name an `oci:DIR:REF` or `oci-archive:FILE:REF` destination asks for, as skopeo writes
/// it into `org.opencontainers.image.ref.name`.
fn dest_name(spec: &SourceSpec) -> Option<String> {
    match (&spec.selector, spec.transport) {
        (shipcheck_image::source::Selector::Reference(r), Transport::Oci | Transport::OciArchive) => Some(r.clone()),
        _ => None,
    }
}

/// Moves the finished layout into place in the destination's form.
fn finish_local(layout: &Path, spec: &SourceSpec, opts: &CopyOptions) -> Result<(), Refused> {
    let dest = &spec.path;
    match spec.transport {
        // Renamed into place without replacing anything, or added to an existing layout.
        Transport::Oci => convert::place_layout(layout, dest)?,
        Transport::OciArchive => convert::tar_layout_with(layout, dest, &opts.write())?,
        _ => {
            // The form every engine loads: convert's hybrid docker-archive, one platform.
            let local = SourceSpec::parse(&format!("oci:{}", layout.display()))?;
            let v = shipcheck_image::verify(&local, &VerifyOptions::default())?;
            let engines: Vec<_> = shipcheck_image::engine::profiles().iter().collect();
            let copts = convert::Options {
                format: convert::Format::DockerArchive,
                platform: opts.platform.clone(),
                engines: &engines,
                keep_attestations: false,
            };
            convert::convert_with(&local, &v, dest, &copts, &opts.write())?;
        }
    }
    Ok(())
}

fn pull(client: &Client, from: &Reference, spec: &SourceSpec, opts: &CopyOptions) -> Result<Copied, Refused> {
    let (_work, layout) = work_beside(None, spec, opts)?;
    let g = transfer::fetch_graph(client, from)?;
    let ref_name =
        dest_name(spec).or_else(|| from.tag.as_deref().map(|t| format!("{}/{}:{t}", from.registry, from.repository)));
    let pulled = transfer::pull_to_layout(client, from, &g, &layout, ref_name.as_deref(), opts.transfer.jobs)?;
    finish_local(&layout, spec, opts)?;
    Ok(Copied { pulled: Some(pulled), written: Some(spec.path.clone()), ..Copied::default() })
}
