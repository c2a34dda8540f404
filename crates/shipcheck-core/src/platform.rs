//! Platforms (`os/arch[/variant]`), normalised the way containerd's `platforms` package and
//! BuildKit read them, so that every spelling real tools write names one platform:
//! `linux/arm64/v8` = `linux/arm64` = `aarch64` = `arm64`; `armhf` = `armv7` = `linux/arm` =
//! `linux/arm/v7`; `x86_64` = `amd64`; `x86` = `i686` = `386`.

use std::fmt;

/// One platform, normalised.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

/// Why a string is not a platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a platform: expected os/arch[/variant], e.g. linux/arm64/v8")]
pub struct PlatformError(pub String);

impl Platform {
    /// A platform from its parts as an image config or index writes them, normalised. Parts are
    /// taken as they come (an image may say anything); [`Platform::parse`] checks user text.
    pub fn new(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        let os = os.to_ascii_lowercase();
        let mut arch = arch.to_ascii_lowercase();
        let variant = variant.filter(|v| !v.is_empty()).map(str::to_ascii_lowercase);
        let (renamed, implied) = match arch.as_str() {
            "x86_64" | "x86-64" => (Some("amd64"), None),
            "aarch64" => (Some("arm64"), None),
            "armhf" | "armv7" | "armv7l" => (Some("arm"), Some("v7")),
            "armel" | "armv6" | "armv6l" => (Some("arm"), Some("v6")),
            "armv5" | "armv5l" => (Some("arm"), Some("v5")),
            "i386" | "i686" | "x86" => (Some("386"), None),
            _ => (None, None),
        };
        // Platforms are parsed for every build of every workflow: keep the common spelling,
        // already canonical, to the three allocations its parts need.
        if let Some(name) = renamed {
            arch.clear();
            arch.push_str(name);
        }
        let variant = variant.or(implied.map(String::from));
        let variant = match (arch.as_str(), variant.as_deref()) {
            ("arm64", Some("v8" | "8")) | ("amd64", Some("v1")) => None,
            ("arm", None) => Some("v7".to_string()),
            ("arm", Some(v)) if !v.starts_with('v') => Some(format!("v{v}")),
            _ => variant,
        };
        Platform { os, arch, variant }
    }

    /// Parses what a user or a build file wrote: `os/arch[/variant]`, or a bare architecture,
    /// which is Linux (`arm64`, `armv7`, `riscv64`), as containerd reads it on Linux.
    pub fn parse(s: &str) -> Result<Platform, PlatformError> {
        let err = || PlatformError(s.to_string());
        let t = s.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.');
        if t.is_empty() || !t.chars().all(allowed) {
            return Err(err());
        }
        // Split without allocating (this runs for every platform of every build): at most three
        // parts, none empty.
        let mut split = t.split('/');
        let parts: [Option<&str>; 3] = [split.next(), split.next(), split.next()];
        if split.next().is_some() || parts.iter().flatten().any(|p| p.is_empty()) {
            return Err(err());
        }
        let n = parts.iter().flatten().count();
        let parts = &[parts[0].unwrap_or(""), parts[1].unwrap_or(""), parts[2].unwrap_or("")][..n];
        match parts {
            [arch] if !is_os(arch) => Ok(Platform::new("linux", arch, None)),
            // `arm64/v8`, `arm/7`: an architecture and its variant, on Linux.
            [arch, variant] if !is_os(arch) && is_variant(variant) => Ok(Platform::new("linux", arch, Some(variant))),
            [os, arch] => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] => Ok(Platform::new(os, arch, Some(variant))),
            _ => Err(err()),
        }
    }

    /// BuildKit marks attestation manifests with this platform.
    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" && self.arch == "unknown"
    }
}

/// `v7`, `7`, `v8`: what only a variant looks like (no architecture is all digits).
fn is_variant(s: &str) -> bool {
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A bare OS name is not a platform: which architecture it means depends on the machine.
fn is_os(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "linux" | "windows" | "darwin" | "freebsd" | "netbsd" | "openbsd" | "solaris" | "illumos" | "wasip1" | "wasi"
    )
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

impl std::str::FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Platform, PlatformError> {
        Platform::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Platform::parse(s).unwrap_or_else(|e| panic!("{e}")).to_string()
    }

    #[test]
    fn every_spelling_names_one_platform() {
        for (spellings, want) in [
            (&["linux/arm64", "linux/arm64/v8", "arm64", "aarch64", "linux/aarch64", "arm64/v8"][..], "linux/arm64"),
            (
                &["linux/arm", "linux/arm/v7", "linux/arm/7", "armv7", "armv7l", "armhf", "arm/v7", "arm"],
                "linux/arm/v7",
            ),
            (&["linux/arm/v6", "armel", "armv6", "linux/armv6l"], "linux/arm/v6"),
            (
                &["linux/amd64", "amd64", "x86_64", "linux/x86_64", "linux/x86-64", "linux/amd64/v1", " LINUX/AMD64 "],
                "linux/amd64",
            ),
            (&["linux/386", "386", "x86", "i386", "i686"], "linux/386"),
            (&["linux/ppc64le", "ppc64le"], "linux/ppc64le"),
            (&["linux/s390x", "s390x"], "linux/s390x"),
            (&["linux/riscv64", "riscv64"], "linux/riscv64"),
            (&["linux/loong64", "loong64"], "linux/loong64"),
            (&["wasm"], "linux/wasm"),
            (&["wasip1/wasm"], "wasip1/wasm"),
            (&["windows/amd64"], "windows/amd64"),
        ] {
            for s in spellings {
                assert_eq!(canon(s), want, "{s}");
            }
        }
        assert_eq!(canon("linux/amd64/v3"), "linux/amd64/v3");
        assert_ne!(Platform::parse("linux/arm/v6").unwrap(), Platform::parse("linux/arm/v7").unwrap());
    }

    #[test]
    fn non_platforms_are_errors() {
        for bad in
            ["", "linux", "/amd64", "linux/", "a/b/c/d", "linux/$ARCH", "linux/${{ matrix.arch }}", "linux amd64"]
        {
            let err = Platform::parse(bad).unwrap_err();
            assert!(err.to_string().contains("expected os/arch[/variant]"), "{bad}: {err}");
        }
    }

    #[test]
    fn image_parts_are_normalised_as_given() {
        assert_eq!(Platform::new("linux", "arm64", Some("v8")).to_string(), "linux/arm64");
        assert_eq!(Platform::new("Linux", "AMD64", Some("")).to_string(), "linux/amd64");
        assert!(Platform::new("unknown", "unknown", None).is_unknown());
    }
}
