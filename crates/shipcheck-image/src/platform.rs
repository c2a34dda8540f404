//! Platforms (`os/arch[/variant]`), normalized the way containerd's platforms package does, so
//! that `linux/arm64/v8` and `linux/arm64` are the same requirement.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        let os = os.to_ascii_lowercase();
        let (arch, implied) = match arch.to_ascii_lowercase().as_str() {
            "x86_64" | "x86-64" => ("amd64".to_string(), None),
            "aarch64" => ("arm64".to_string(), None),
            "armhf" => ("arm".to_string(), Some("v7")),
            "armel" => ("arm".to_string(), Some("v6")),
            "i386" | "i686" => ("386".to_string(), None),
            other => (other.to_string(), None),
        };
        let variant = variant.filter(|v| !v.is_empty()).map(str::to_ascii_lowercase).or(implied.map(String::from));
        let variant = match (arch.as_str(), variant.as_deref()) {
            ("arm64", Some("v8" | "8")) | ("amd64", Some("v1")) => None,
            ("arm", None) => Some("v7".to_string()),
            ("arm", Some(v)) if !v.starts_with('v') => Some(format!("v{v}")),
            _ => variant,
        };
        Platform { os, arch, variant }
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() => Ok(Platform::new(os, arch, Some(variant))),
            _ => Err(format!("`{s}` is not a platform: expected os/arch[/variant], e.g. linux/arm64/v8")),
        }
    }

    /// BuildKit marks attestation manifests with this platform.
    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" && self.arch == "unknown"
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_containerd() {
        assert_eq!(Platform::parse("linux/arm64/v8").unwrap(), Platform::parse("linux/arm64").unwrap());
        assert_eq!(Platform::parse("linux/aarch64").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(Platform::parse("linux/x86_64").unwrap().to_string(), "linux/amd64");
        assert_ne!(Platform::parse("linux/arm/v6").unwrap(), Platform::parse("linux/arm/v7").unwrap());
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("/amd64").is_err());
    }
}
