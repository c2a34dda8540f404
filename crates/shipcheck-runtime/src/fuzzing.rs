//! Entry point for the cargo-fuzz `runtime_output` target in `fuzz/` (and for the test that
//! replays its kept seeds on stable). It takes arbitrary bytes and must never panic, hang or
//! allocate without bound.

/// Bytes as a runtime's output: `--version` identification, the `features` JSON and its
/// lookups, help-text flags and versions.
pub fn runtime_output(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::identity::identify(&text);
    if let Ok(f) = crate::features::Features::parse(&text) {
        let _ = f.get("linux.mountExtensions.idmap.enabled");
        let _ = f.get("mountOptions:rro");
        let _ = f.annotated_version();
    }
    let _ = crate::help::flags(&text);
    let _ = crate::version::Version::parse(&text);
}
