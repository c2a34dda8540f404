#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = shipcheck_runtime::identity::identify(&text);
    if let Ok(f) = shipcheck_runtime::features::Features::parse(&text) {
        let _ = f.get("linux.mountExtensions.idmap.enabled");
        let _ = f.get("mountOptions:rro");
        let _ = f.annotated_version();
    }
    let _ = shipcheck_runtime::help::flags(&text);
    let _ = shipcheck_runtime::version::Version::parse(&text);
});
