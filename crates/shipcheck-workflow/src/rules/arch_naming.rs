//! `dockerfile/arch-naming`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{arch_token, urls, Facts};

declare_rule! {
    /// ## What it catches
    /// `TARGETARCH` put into a download URL whose file names use the kernel's architecture
    /// names (`x86_64`, `aarch64`): Rust target triples (`-unknown-linux-gnu`), GoReleaser's
    /// `Linux_x86_64`, `linux-x86_64` style names, or names the same file spells with
    /// `x86_64`/`aarch64` elsewhere in the Dockerfile.
    ///
    /// ## Why it breaks releases
    /// `TARGETARCH` is Go's naming (`amd64`, `arm64`): the URL becomes
    /// `tool-amd64-unknown-linux-gnu.tar.gz`, which does not exist, and the build fails with
    /// a 404 (or worse, a different file is fetched).
    ///
    /// ## Fix
    /// Map it first: `case "$TARGETARCH" in amd64) ARCH=x86_64;; arm64) ARCH=aarch64;; esac`.
    ///
    /// ## Example
    /// `ADD https://…/tool-${TARGETARCH}-unknown-linux-musl.tar.gz /tmp/`.
    pub RULE = ("dockerfile/arch-naming", Error, "TARGETARCH where the file names use x86_64/aarch64");
}

/// Parts of file names that come with the kernel's architecture names, not Go's.
const UNAME_STYLE: &[&str] =
    &["unknown-linux", "linux-gnu", "linux-musl", "apple-darwin", "linux_x86_64", "_linux_", "linux_"];

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    let all_text: String = d.df.instructions.iter().map(|i| i.text()).collect::<Vec<_>>().join("\n");
    for stage in &d.df.stages {
        for ins in &d.df.instructions[stage.body.clone()] {
            let text = ins.text();
            for url in urls(&text) {
                let uses_targetarch = url.contains("${TARGETARCH}") || url.contains("$TARGETARCH");
                if !uses_targetarch {
                    continue;
                }
                let lower = url.to_ascii_lowercase();
                let uname_style = UNAME_STYLE.iter().find(|m| lower.contains(*m)).map(|m| format!("the name has {m}"));
                // The same download spelled with x86_64/aarch64 elsewhere in the file.
                let prefix = url.split("$").next().unwrap_or(url);
                let elsewhere = (prefix.len() > 12)
                    .then(|| {
                        urls(&all_text).find(|u| {
                            u.starts_with(prefix)
                                && !u.contains('$')
                                && matches!(arch_token(u), Some("x86_64" | "aarch64"))
                        })
                    })
                    .flatten()
                    .map(|u| format!("the same download is spelled {u}"));
                if let Some(why) = uname_style.or(elsewhere) {
                    out.push(
                        Finding::new(&RULE, ins.subject(d.artifact), format!("TARGETARCH (amd64, arm64) in a URL whose file names use x86_64/aarch64: {url}"))
                            .evidence("why", why)
                            .remedy("Map it first: case \"$TARGETARCH\" in amd64) ARCH=x86_64;; arm64) ARCH=aarch64;; esac, and use $ARCH in the URL."),
                    );
                }
            }
        }
    }
}
