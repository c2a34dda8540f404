//! Loose version numbers: `1.8.1`, `1.1.5+ds1`, `0.12`, `release-20231009.0`.

use std::cmp::Ordering;
use std::fmt;

/// Compared by number only: `1.15` equals `1.15.0`, and `+ds1` suffixes do not count.
#[derive(Clone, Debug)]
pub struct Version {
    pub parts: Vec<u64>,
    pub text: String,
}

impl Version {
    /// Reads the leading dotted numbers; `None` when there are none.
    pub fn parse(s: &str) -> Option<Version> {
        let t = s.trim().trim_start_matches('v');
        let t = t.strip_prefix("release-").unwrap_or(t);
        let mut parts = Vec::new();
        for p in t.split('.') {
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != p.len() {
                break;
            }
        }
        (!parts.is_empty()).then(|| Version { parts, text: s.trim().to_string() })
    }

    /// A version above every real one, for "the latest" caller.
    pub fn latest() -> Version {
        Version { parts: vec![u64::MAX], text: "latest".into() }
    }

    pub fn is_latest(&self) -> bool {
        self.parts == [u64::MAX]
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let (a, b) = (self.parts.get(i).copied().unwrap_or(0), other.parts.get(i).copied().unwrap_or(0));
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_loose_versions() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.8.1") < v("1.15"));
        assert!(v("1.1.5+ds1") > v("1.1.0"));
        assert_eq!(v("1.15"), v("1.15.0"));
        assert!(v("0.12") >= v("0.12.0"));
        assert_eq!(v("1.1.5+ds1").parts, vec![1, 1, 5]);
        assert!(Version::parse("garbage").is_none());
        assert!(v("99.0") < Version::latest());
    }
}
