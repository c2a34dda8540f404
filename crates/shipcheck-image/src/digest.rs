use std::fmt;

use sha2::{Digest as _, Sha256, Sha512};

/// A content digest, `algorithm:hex`, as OCI descriptors write it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    pub algorithm: Algorithm,
    pub hex: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

/// Why a string is not a digest shipcheck can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("`{0}` is not a digest: expected `sha256:<hex>`")]
    NotDigest(String),
    #[error("unsupported digest algorithm `{algorithm}` in `{digest}`")]
    Unsupported { algorithm: String, digest: String },
    #[error("`{digest}` is not a valid {} digest: expected {len} lowercase hex digits", algorithm.name())]
    BadHex { digest: String, algorithm: Algorithm, len: usize },
}

impl From<DigestError> for String {
    fn from(e: DigestError) -> String {
        e.to_string()
    }
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Digest, DigestError> {
        let (alg, hex) = s.split_once(':').ok_or_else(|| DigestError::NotDigest(s.to_string()))?;
        let algorithm = Algorithm::from_name(alg)
            .ok_or_else(|| DigestError::Unsupported { algorithm: alg.to_string(), digest: s.to_string() })?;
        let d = Digest { algorithm, hex: hex.to_string() };
        d.check()?;
        Ok(d)
    }

    /// Whether the hex part fits the algorithm's grammar. [`Digest::parse`] and the hashers only
    /// make digests that do; the fields are public, so writers check again before a digest
    /// becomes a path: a hex of `../../x` must never reach the file system.
    pub fn check(&self) -> Result<(), DigestError> {
        let len = self.algorithm.hex_len();
        if self.hex.len() != len || !self.hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(DigestError::BadHex { digest: self.to_string(), algorithm: self.algorithm, len });
        }
        Ok(())
    }

    /// The blob path of this digest in an OCI layout. Only meaningful for a digest that passes
    /// [`Digest::check`]; files are written through [`crate::write::LayoutWriter`], which checks.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm.name(), self.hex)
    }

    /// `sha256:0123456789ab`: enough to tell blobs apart in messages.
    pub fn short(&self) -> String {
        format!("{}:{}", self.algorithm.name(), &self.hex[..12.min(self.hex.len())])
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

/// A running hash of one algorithm.
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    pub fn finish(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest { algorithm: Algorithm::Sha256, hex: hex::encode(h.finalize()) },
            Hasher::Sha512(h) => Digest { algorithm: Algorithm::Sha512, hex: hex::encode(h.finalize()) },
        }
    }
}

/// sha256 of a byte slice, as a digest.
pub fn sha256(data: &[u8]) -> Digest {
    let mut h = Hasher::new(Algorithm::Sha256);
    h.update(data);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap();
        assert_eq!(d, sha256(b""));
        assert_eq!(d.blob_path(), "blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert!(Digest::parse("sha256:E3B0").is_err());
        assert!(Digest::parse("md5:abc").unwrap_err().to_string().contains("unsupported"));
        assert!(Digest::parse("nocolon").is_err());
        assert!(Digest::parse("sha256:../../etc/passwd000000000000000000000000000000000000000000000000").is_err());
        let forged = Digest { algorithm: Algorithm::Sha256, hex: "../../x".into() };
        assert!(forged.check().unwrap_err().to_string().contains("64 lowercase hex digits"));
    }
}
