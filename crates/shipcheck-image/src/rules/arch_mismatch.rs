//! `image/arch-mismatch`.

use std::collections::BTreeMap;

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::elf::ElfMachine;
use crate::facts::{At, Facts};

declare_rule! {
    /// ## What it catches
    /// An image whose executables are mostly for another CPU than its platform says, read
    /// from the ELF headers of executable files while the layers stream past.
    ///
    /// ## Why it breaks releases
    /// A multi-platform build that copied a prebuilt amd64 binary, or a base image pulled for
    /// the wrong platform, produces an arm64 image that fails on first start with
    /// `exec format error`, and only on arm64 machines.
    ///
    /// ## Fix
    /// Use `TARGETARCH` when downloading binaries, `FROM --platform=$TARGETPLATFORM` for the
    /// runtime stage, and check the base image provides the platform.
    ///
    /// ## Example
    /// Platform `linux/arm64`; 212 of 214 executables are x86-64 (`usr/bin/app`, …).
    pub RULE = ("image/arch-mismatch", Error, "executables are for another CPU than the platform");
}

/// Compares each image's platform with the CPU its executables are built for.
pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for img in facts.images.iter().filter(|i| !i.attestation) {
        let Some(platform) = &img.platform else { continue };
        let mut hist: BTreeMap<ElfMachine, (u64, &str)> = BTreeMap::new();
        for d in img.layers.iter().filter_map(|l| l.digest.as_ref()) {
            let layer = facts.blob_by_digest(d).and_then(|f| f.layer.as_ref());
            for (m, (n, example)) in layer.map(|l| &l.elf).into_iter().flatten() {
                hist.entry(*m).or_insert((0, example.as_str())).0 += n;
            }
        }
        let total: u64 = hist.values().map(|(n, _)| n).sum();
        let matching: u64 =
            hist.iter().filter(|(m, _)| m.oci_arch() == Some(platform.arch.as_str())).map(|(_, (n, _))| n).sum();
        if total == 0 || matching * 2 >= total {
            continue;
        }
        let Some((top, (n, example))) = hist.iter().max_by_key(|(_, (n, _))| *n) else { continue };
        let subject = Subject::platform(&facts.artifact, platform.to_string());
        let mut f = Finding::new(
            &RULE,
            subject,
            format!("platform is {platform}, but {n} of {total} executables are {}", top.describe()),
        )
        .evidence("platform", platform)
        .evidence("matching_executables", matching)
        .evidence("example", example)
        .remedy("Download binaries by TARGETARCH, use FROM --platform=$TARGETPLATFORM for the runtime stage, and check the base image provides this platform.");
        if let Some(name) = img.names.first() {
            f = f.evidence("image", name);
        }
        facts.emit(out, At::ArchTruth, f);
    }
}
