//! `image/hybrid-mismatch`.

use shipcheck_report::{declare_rule, Finding, Severity, Subject};

use crate::digest::Digest;
use crate::facts::{At, Facts};
use crate::verify::Origin;

declare_rule! {
    /// ## What it catches
    /// A hybrid archive (Docker 25+ `docker save`, BuildKit `type=docker`) whose
    /// `manifest.json` and `index.json` describe different images.
    ///
    /// ## Why it breaks releases
    /// Docker reads `manifest.json`; containerd, Podman and skopeo's oci-archive read
    /// `index.json`. Users of different engines get different images, or one engine fails.
    ///
    /// ## Fix
    /// Re-export with one tool in one step; do not edit either file by hand.
    ///
    /// ## Example
    /// `manifest.json` names config `sha256:ee30…`; `index.json` has `"manifests": null`.
    pub RULE = ("image/hybrid-mismatch", Error, "manifest.json and index.json describe different images");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    if !facts.hybrid {
        return;
    }
    let configs = |o: Origin| -> Vec<Option<&Digest>> {
        facts.images.iter().filter(|i| i.origin == o && !i.attestation).map(|i| i.config_digest.as_ref()).collect()
    };
    let docker = configs(Origin::ManifestJson);
    let oci = configs(Origin::IndexJson);
    let s = Subject::whole(&facts.artifact);
    for cfg in docker.iter().flatten().copied() {
        if !oci.contains(&Some(cfg)) {
            let f = Finding::new(&RULE, s.clone(), format!("manifest.json has image config {}, which index.json does not reach", cfg.short()))
                .evidence("config", cfg)
                .evidence("index_json_images", oci.len())
                .remedy("Engines that read index.json (containerd, Podman, skopeo oci-archive) will not see this image. Re-export in one step.");
            facts.emit(out, At::Hybrid, f);
        }
    }
    for cfg in oci.iter().flatten().copied() {
        if !docker.contains(&Some(cfg)) && !docker.is_empty() {
            let f = Finding::new(
                &RULE,
                s.clone(),
                format!("index.json has image config {}, which manifest.json does not list", cfg.short()),
            )
            .evidence("config", cfg)
            .severity(Severity::Warning)
            .remedy("Docker (which reads manifest.json) will not load this image. Re-export in one step.");
            facts.emit(out, At::Hybrid, f);
        }
    }
}
