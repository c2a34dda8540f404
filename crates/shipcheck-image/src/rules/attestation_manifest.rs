//! `image/attestation-manifest`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{At, Facts};

declare_rule! {
    /// ## What it catches
    /// Attestation manifests (BuildKit provenance and SBOM: platform `unknown/unknown`,
    /// annotation `vnd.docker.reference.type=attestation-manifest`). They are listed here
    /// apart, because they are not platforms.
    ///
    /// ## Why it matters
    /// Some consumers treat `unknown/unknown` as a platform: old registries' UIs, tools that
    /// iterate platforms, and the docker-archive transport, which takes no index at all.
    ///
    /// ## Fix
    /// Nothing, if your consumers handle them; otherwise build with `--provenance=false
    /// --sbom=false`, or `shipcheck convert` without `--keep-attestations`.
    ///
    /// ## Example
    /// `sha256:4f62…` attests `sha256:c39b…` (linux/amd64).
    pub RULE = ("image/attestation-manifest", Note, "attestation manifest (not a platform)");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for d in facts.images.iter().filter(|i| i.attestation).filter_map(|i| i.manifest_digest.as_ref()) {
        let f = Finding::new(
            &RULE,
            facts.digest_subject(d),
            "attestation manifest (provenance/SBOM); listed apart, not a platform",
        )
        .remedy("Nothing if your consumers handle attestations; otherwise build with --provenance=false --sbom=false.");
        facts.emit(out, At::Attestations, f);
    }
}
