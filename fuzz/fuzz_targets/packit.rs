#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = shipcheck_package::packit::check_text(text, ".packit.yaml");
        let release = shipcheck_package::spec_check::Release { tag: Some("v1.0"), template: "v{version}" };
        let _ = shipcheck_package::spec_check::check_text(text, "x.spec", &release, (2026, 1, 1));
        for line in text.lines().take(4) {
            let _ = shipcheck_package::evr::Evr::parse(line);
            let _ = shipcheck_package::evr::split_nvr(line);
            if let Some((a, b)) = line.split_once(' ') {
                let _ = shipcheck_package::evr::rpmvercmp(a, b);
            }
        }
    }
});
