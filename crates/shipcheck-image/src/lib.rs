//! Container images in every form real tools write: OCI layouts (directory or tar), `docker save`
//! archives from Docker 1.x to 25+, BuildKit and containerd exports, skopeo and
//! go-containerregistry variants, each possibly wrapped in gzip, zstd or xz.
//!
//! [`verify`] reads a source once, in parallel where the source allows it, and turns every
//! defect into a [`shipcheck_report::Finding`].

pub mod convert;
pub mod digest;
pub mod elf;
pub mod engine;
pub(crate) mod facts;
pub mod fuzzing;
pub mod limits;
pub mod model;
pub mod platform;
pub mod rules;
pub mod scan;
pub mod source;
pub mod store;
pub mod tarwalk;
pub mod tree;
pub mod verify;
pub(crate) mod walk;
pub mod write;

pub use limits::ReadLimits;
pub use source::SourceSpec;
pub use verify::{verify, verify_tree, verify_tree_with, verify_with, ImageInfo, Verified, VerifyError, VerifyOptions};
