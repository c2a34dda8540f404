//! RPM version comparison with rpmvercmp's exact semantics (rpm's lib/rpmvercmp.c): segments of
//! digits or letters, separators ignored, `~` sorting before anything (pre-releases), `^` after
//! the end but before anything else (post-release snapshots), numbers newer than letters.

use std::cmp::Ordering;
use std::fmt;

/// Compares two version (or release) strings as rpm does.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // Tilde sorts before everything else, even the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret sorts after the end of the string, but before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let class = |c: u8| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() };
        let (si, sj) = (i, j);
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        // Segments of different types: numeric is newer than alpha.
        if j == sj {
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        let (mut sa, mut sb) = (&a[si..i], &b[sj..j]);
        if numeric {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

/// Why a text is not an EVR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvrError {
    #[error("`{evr}`: epoch `{epoch}` is not a number")]
    Epoch { evr: String, epoch: String },
    #[error("`{evr}` has no version: expected [EPOCH:]VERSION[-RELEASE]")]
    NoVersion { evr: String },
}

/// Epoch:Version-Release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evr {
    pub epoch: u64,
    pub version: String,
    pub release: String,
}

impl Evr {
    /// Parses `[E:]V[-R]`.
    pub fn parse(s: &str) -> Result<Evr, EvrError> {
        let s = s.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) => {
                let epoch = e.parse::<u64>().map_err(|_| EvrError::Epoch { evr: s.into(), epoch: e.into() })?;
                (epoch, r)
            }
            None => (0, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, r),
            None => (rest, ""),
        };
        if version.is_empty() {
            return Err(EvrError::NoVersion { evr: s.into() });
        }
        Ok(Evr { epoch, version: version.to_string(), release: release.to_string() })
    }

    /// rpm's EVR order: epoch, then version, then release (an empty release matches any).
    pub fn compare(&self, other: &Evr) -> Ordering {
        self.epoch.cmp(&other.epoch).then_with(|| rpmvercmp(&self.version, &other.version)).then_with(|| {
            if self.release.is_empty() || other.release.is_empty() {
                Ordering::Equal
            } else {
                rpmvercmp(&self.release, &other.release)
            }
        })
    }
}

impl fmt::Display for Evr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch > 0 {
            write!(f, "{}:", self.epoch)?;
        }
        write!(f, "{}", self.version)?;
        if !self.release.is_empty() {
            write!(f, "-{}", self.release)?;
        }
        Ok(())
    }
}

/// Splits an NVR (`name-version-release`) at its last two dashes.
pub fn split_nvr(nvr: &str) -> Option<(String, Evr)> {
    let (nv, release) = nvr.trim().rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    let (epoch, version) = match version.split_once(':') {
        Some((e, v)) => (e.parse().ok()?, v),
        None => (0, version),
    };
    Some((name.to_string(), Evr { epoch, version: version.to_string(), release: release.to_string() }))
}
