//! `--existing FILE`: the NVRs already in each downstream branch, one `BRANCH NVR` a line
//! (`#` comments), e.g. `f43 crun-1.17-1.fc43`. The new build must sort above all of them.

use shipcheck_report::Finding;

use crate::evr::{split_nvr, Evr};
use crate::facts::{Facts, NvrFacts};

/// Why a line of the file cannot be used; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExistingError {
    #[error("line {line}: expected `BRANCH NAME-VERSION-RELEASE`, got `{text}`")]
    NoBranch { line: usize, text: String },
    #[error("line {line}: `{nvr}` is not NAME-VERSION-RELEASE")]
    NotNvr { line: usize, nvr: String },
}

/// Parses the file; errors name the line.
pub fn parse(text: &str) -> Result<Vec<(String, String, Evr)>, ExistingError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let (branch, nvr) = l
            .split_once(char::is_whitespace)
            .ok_or_else(|| ExistingError::NoBranch { line: i + 1, text: l.to_string() })?;
        let (name, evr) =
            split_nvr(nvr.trim()).ok_or_else(|| ExistingError::NotNvr { line: i + 1, nvr: nvr.trim().to_string() })?;
        out.push((branch.to_string(), name, evr));
    }
    Ok(out)
}

/// Release without the dist tag (`1.fc43` → `1`), so branches compare on the same footing.
pub(crate) fn strip_dist(release: &str) -> String {
    match release.split_once(".fc").or_else(|| release.split_once(".el")) {
        Some((r, _)) => r.to_string(),
        None => release.to_string(),
    }
}

/// Checks the new build (`name`, `new`) against what each branch has.
pub fn check(artifact: &str, name: &str, new: &Evr, existing: &[(String, String, Evr)]) -> Vec<Finding> {
    let nvrs = NvrFacts {
        artifact: artifact.to_string(),
        name: name.to_string(),
        new: new.clone(),
        existing: existing.to_vec(),
    };
    crate::check::run(&Facts { nvrs: Some(nvrs), ..Facts::default() }, &|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXISTING: &str =
        "# branch nvr\nrawhide crun-1.16-1.fc44\nf43 crun-1.16-1.fc43\nf42 crun-1.15-1.fc42\nc10s crun-1.16-1.el10\n";

    #[test]
    fn newer_build_passes_older_or_equal_fails() {
        let e = parse(EXISTING).unwrap();
        assert!(check("s", "crun", &Evr::parse("1.17-1").unwrap(), &e).is_empty());
        let f = check("s", "crun", &Evr::parse("1.16-1").unwrap(), &e);
        assert_eq!(f.len(), 3, "{f:#?}");
        assert!(f.iter().all(|x| x.message.contains("already exists")));
        let f = check("s", "crun", &Evr::parse("1.15.9-1").unwrap(), &e);
        assert!(f.iter().any(|x| x.message.contains("not newer than f43")));
        let behind = parse("rawhide crun-1.15-1.fc44\nf43 crun-1.16-1.fc43\n").unwrap();
        assert!(check("s", "crun", &Evr::parse("1.17-1").unwrap(), &behind)
            .iter()
            .any(|x| x.message.contains("rawhide has crun-1.15-1.fc44")));
        assert!(parse("f43\n").unwrap_err().to_string().contains("line 1"));
        let f = check("s", "crun", &Evr::parse("1.17-3").unwrap(), &e);
        assert_eq!(f.iter().map(|x| x.rule.id).collect::<Vec<_>>(), vec!["package/release-not-reset"]);
        assert!(
            check("s", "crun", &Evr::parse("1.17").unwrap(), &e).is_empty(),
            "%autorelease arrives without a release"
        );
        assert!(parse("f43 nodashes\n").unwrap_err().to_string().contains("not NAME-VERSION-RELEASE"));
    }
}
