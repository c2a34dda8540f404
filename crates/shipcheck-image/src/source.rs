//! Image source names, as skopeo spells them, and detection of bare paths by content.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::scan::{looks_like_tar, Compression};

/// Which image(s) inside a source the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Every image in the source.
    All,
    /// A reference or tag (`docker-archive:f.tar:repo:tag`, `oci:dir:ref.name`).
    Reference(String),
    /// The N-th image of a docker-archive manifest.json (`docker-archive:f.tar:@N`), 0-based.
    Index(usize),
}

/// The transport the user named, or `Auto` for a bare path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Oci,
    OciArchive,
    DockerArchive,
    Auto,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Oci => "oci",
            Transport::OciArchive => "oci-archive",
            Transport::DockerArchive => "docker-archive",
            Transport::Auto => "path",
        }
    }
}

/// A parsed `SOURCE` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpec {
    pub transport: Transport,
    pub path: PathBuf,
    pub selector: Selector,
    /// The argument as the user wrote it, used as the artifact name in findings.
    pub display: String,
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl SourceSpec {
    /// Parses `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`, `docker-archive:FILE[:REF|@N]`, or a bare path.
    ///
    /// As in skopeo, the path ends at the first `:` after the transport; a path that itself
    /// contains `:` must be given bare (and is then detected by content).
    pub fn parse(arg: &str) -> Result<SourceSpec, SourceError> {
        if arg.is_empty() {
            return Err(SourceError::Empty);
        }
        let (transport, rest) = match arg.split_once(':') {
            Some(("oci", rest)) => (Transport::Oci, rest),
            Some(("oci-archive", rest)) => (Transport::OciArchive, rest),
            Some(("docker-archive", rest)) => (Transport::DockerArchive, rest),
            Some((t @ ("docker" | "docker-daemon" | "containers-storage" | "dir"), _)) => {
                return Err(SourceError::Transport(t.to_string()))
            }
            _ => {
                return Ok(SourceSpec {
                    transport: Transport::Auto,
                    path: PathBuf::from(arg),
                    selector: Selector::All,
                    display: arg.to_string(),
                })
            }
        };
        let (path, selector) = match rest.split_once(':') {
            None => (rest, Selector::All),
            Some((path, sel)) => {
                let selector = if let Some(n) = sel.strip_prefix('@') {
                    if transport != Transport::DockerArchive {
                        return Err(SourceError::IndexOutsideDockerArchive(arg.to_string()));
                    }
                    Selector::Index(
                        n.parse().map_err(|_| SourceError::BadIndex { index: n.to_string(), arg: arg.to_string() })?,
                    )
                } else if sel.is_empty() {
                    Selector::All
                } else {
                    Selector::Reference(sel.to_string())
                };
                (path, selector)
            }
        };
        if path.is_empty() {
            return Err(SourceError::NoPath { arg: arg.to_string(), transport: transport.name() });
        }
        Ok(SourceSpec { transport, path: PathBuf::from(path), selector, display: arg.to_string() })
    }
}

/// Why an image source cannot be read: its name (`oci:DIR`, …) or what its path holds.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("empty image source: expected a path, oci:DIR, oci-archive:FILE or docker-archive:FILE")]
    Empty,
    #[error("transport `{0}:` is not supported here: expected a path, oci:, oci-archive: or docker-archive:")]
    Transport(String),
    #[error("`@N` selects an image only in docker-archive sources, not in `{0}`")]
    IndexOutsideDockerArchive(String),
    #[error("`@{index}` in `{arg}` is not an image index: expected @0, @1, …")]
    BadIndex { index: String, arg: String },
    #[error("`{arg}` names no path: expected {transport}:PATH")]
    NoPath { arg: String, transport: &'static str },
    #[error("cannot open {}: {source}", path.display())]
    Open { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is neither a file nor a directory: expected an image archive or layout", .0.display())]
    NotFileOrDirectory(PathBuf),
    #[error("{} is empty: expected an image archive (tar)", .0.display())]
    EmptyFile(PathBuf),
    #[error("{} is not a tar archive (no tar header in its first 512 bytes): expected an image archive or layout", .0.display())]
    NotTar(PathBuf),
    #[error("{} is bzip2-compressed: expected tar, or tar wrapped in gzip, zstd or xz", .0.display())]
    Bzip2(PathBuf),
}

/// For callers that carry errors as text (`verify`'s messages).
impl From<SourceError> for String {
    fn from(e: SourceError) -> String {
        e.to_string()
    }
}

/// What a path holds, found by looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Directory,
    /// A tar file, possibly wrapped whole in a compressor.
    Tar(Compression),
    /// Documents and blobs fetched from a registry (`docker://`).
    Registry,
}

/// Looks at the first bytes of `path` to tell a directory, a tar, and a compressed tar apart.
pub fn detect(path: &Path) -> Result<Container, SourceError> {
    let open = |source| SourceError::Open { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(open)?;
    if meta.is_dir() {
        return Ok(Container::Directory);
    }
    if !meta.is_file() {
        return Err(SourceError::NotFileOrDirectory(path.to_path_buf()));
    }
    let mut head = [0u8; 512];
    let mut f = std::fs::File::open(path).map_err(open)?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(source) => return Err(SourceError::Read { path: path.to_path_buf(), source }),
        }
    }
    let compression = Compression::sniff(&head[..n]);
    match compression {
        Compression::None if looks_like_tar(&head[..n]) => Ok(Container::Tar(Compression::None)),
        Compression::None if n == 0 => Err(SourceError::EmptyFile(path.to_path_buf())),
        Compression::None => Err(SourceError::NotTar(path.to_path_buf())),
        Compression::Bzip2 => Err(SourceError::Bzip2(path.to_path_buf())),
        c => Ok(Container::Tar(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skopeo_names() {
        let s = SourceSpec::parse("docker-archive:/tmp/a.tar:busybox:latest").unwrap();
        assert_eq!(s.transport, Transport::DockerArchive);
        assert_eq!(s.path, PathBuf::from("/tmp/a.tar"));
        assert_eq!(s.selector, Selector::Reference("busybox:latest".into()));
        assert_eq!(SourceSpec::parse("docker-archive:a.tar:@1").unwrap().selector, Selector::Index(1));
        assert_eq!(SourceSpec::parse("oci:layout:v1").unwrap().selector, Selector::Reference("v1".into()));
        assert_eq!(SourceSpec::parse("some/file.tar").unwrap().transport, Transport::Auto);
        assert!(SourceSpec::parse("oci:dir:@1").unwrap_err().to_string().contains("only in docker-archive"));
        assert!(SourceSpec::parse("docker-archive:a.tar:@x").unwrap_err().to_string().contains("not an image index"));
        assert!(SourceSpec::parse("docker://x/y").unwrap_err().to_string().contains("not supported"));
        assert!(SourceSpec::parse("oci:").is_err());
    }
}
